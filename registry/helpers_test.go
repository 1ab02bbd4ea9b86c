package registry

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// mapKeys is a case-sensitive Keys for tests.
type mapKeys map[string]string

func (m mapKeys) Get(k string) (string, bool) {
	v, ok := m[k]
	return v, ok
}

// clock returns a goroutine-safe Now that advances one second per call.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openAt(t *testing.T, dir string, mod func(*Options)) *Registry {
	t.Helper()
	opts := Options{Dir: dir, Now: clock(), Seed: 1}
	if mod != nil {
		mod(&opts)
	}
	r, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// writeFiles writes name -> content below dir, creating parents.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func testSpec(name, src string) FunctionSpec {
	return FunctionSpec{
		Name:   name,
		Source: src,
		Config: FunctionConfig{
			Runtime: "Python3.9", Type: TypeEvent, Handler: "index.main_handler",
			MemorySize: 128, Timeout: 3, Environment: map[string]string{"GREETING": "hello"},
		},
	}
}

// setup opens a registry in a fresh dir and defines function B from a small
// source tree.
func setup(t *testing.T, mod func(*Options)) (*Registry, string) {
	t.Helper()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "def main_handler(e, c):\n    return 'v0'\n"})
	r := openAt(t, t.TempDir(), mod)
	if err := r.Define(context.Background(), testSpec("B", src)); err != nil {
		t.Fatalf("Define: %v", err)
	}
	return r, src
}

// publishN publishes n versions of B, changing index.py before each.
func publishN(t *testing.T, r *Registry, src string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		writeFiles(t, src, map[string]string{"index.py": "return " + string(rune('a'+i)) + "\n"})
		if _, err := r.Publish(context.Background(), "B", "release "+string(rune('a'+i))); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
}

func stateBytes(t *testing.T, r *Registry) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bufLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
