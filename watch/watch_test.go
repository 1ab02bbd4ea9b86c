package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests use real folders and inotify. Waits are bounded: a call is
// awaited up to callTimeout, and "no call" is checked over quietWait.
//
// A test's burst of writes is one burst only if the writer never pauses for
// a quiet period; on a loaded machine (2 cores, the race detector, other
// test binaries) a goroutine can stall for tens of milliseconds, which the
// default 15 ms Quick period took as the end of a save (a 20-write burst
// gave up to 5 calls). So these tests settle after realDebounce for every
// burst; the adaptive quiet period is tested on a fake clock in
// sched_test.go (TestQuietPeriodAdapts).
const (
	realDebounce = 500 * time.Millisecond
	quietWait    = 3 * realDebounce
	callTimeout  = 10 * time.Second
)

// realOptions are the Options of every watcher on real folders.
var realOptions = Options{Debounce: realDebounce, Quick: realDebounce}

// recorder counts Func calls and lets a test hold a call open.
type recorder struct {
	n      atomic.Int32
	active atomic.Int32
	mu     sync.Mutex // guards hook
	hook   func(n int32) []string
}

func (r *recorder) fn(t *testing.T) Func {
	return func(ctx context.Context, name string) ([]string, error) {
		if r.active.Add(1) > 1 {
			t.Error("Func ran twice at once for one name")
		}
		defer r.active.Add(-1)
		n := r.n.Add(1)
		r.mu.Lock()
		hook := r.hook
		r.mu.Unlock()
		if hook != nil {
			return hook(n), nil
		}
		return nil, nil
	}
}

// waitCalls polls until at least n calls happened or the timeout passes.
func (r *recorder) waitCalls(t *testing.T, n int32) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for r.n.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d calls after %v, want %d", r.n.Load(), callTimeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stays checks that the call count is still n after quietWait.
func (r *recorder) stays(t *testing.T, n int32, why string) {
	t.Helper()
	time.Sleep(quietWait)
	if got := r.n.Load(); got != n {
		t.Fatalf("%s: got %d calls, want %d", why, got, n)
	}
}

// startReal watches a new temp folder as "B" and returns it.
func startReal(t *testing.T, r *recorder, setup func(dir string)) (*Watcher, string) {
	t.Helper()
	dir := t.TempDir()
	if setup != nil {
		setup(dir)
	}
	w, err := New(r.fn(t), realOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("B", dir); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	t.Cleanup(func() {
		w.Close()
		<-ran
	})
	return w, dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRealBurstOfWritesGivesOneCall(t *testing.T) {
	r := &recorder{}
	_, dir := startReal(t, r, nil)
	for i := range 20 {
		write(t, filepath.Join(dir, "index.py"), "v"+string(rune('a'+i)))
	}
	r.waitCalls(t, 1)
	r.stays(t, 1, "after a burst of 20 writes")
}

func TestRealRenameOverSaveTriggers(t *testing.T) {
	r := &recorder{}
	_, dir := startReal(t, r, func(dir string) { write(t, filepath.Join(dir, "index.py"), "old") })
	// Editor scratch files alone do not trigger.
	write(t, filepath.Join(dir, "4913"), "")
	os.Remove(filepath.Join(dir, "4913"))
	write(t, filepath.Join(dir, ".index.py.swp"), "swap")
	write(t, filepath.Join(dir, ".#index.py"), "lock")
	write(t, filepath.Join(dir, "index.py~"), "new")
	r.stays(t, 0, "editor scratch files")
	// Renaming the scratch file over the real one is the save.
	if err := os.Rename(filepath.Join(dir, "index.py~"), filepath.Join(dir, "index.py")); err != nil {
		t.Fatal(err)
	}
	r.waitCalls(t, 1)
	r.stays(t, 1, "after one rename-over save")
}

func TestRealNewNestedFolderIsWatched(t *testing.T) {
	r := &recorder{}
	_, dir := startReal(t, r, nil)
	// Like mkdir -p a/b/c && echo > a/b/c/f: the file may exist before
	// a/b/c has a watch, so the new folder itself must cause the call.
	write(t, filepath.Join(dir, "a", "b", "c", "f"), "1")
	r.waitCalls(t, 1)
	r.stays(t, 1, "after creating a/b/c/f")
	write(t, filepath.Join(dir, "a", "b", "c", "f"), "2")
	r.waitCalls(t, 2)
	// A renamed folder is watched under its new name.
	if err := os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "z")); err != nil {
		t.Fatal(err)
	}
	r.waitCalls(t, 3)
	r.stays(t, 3, "after renaming a folder")
	write(t, filepath.Join(dir, "z", "b", "c", "f"), "3")
	r.waitCalls(t, 4)
	// A new folder at the old name is a different folder and gets watched.
	write(t, filepath.Join(dir, "a", "b", "c", "f"), "4")
	r.waitCalls(t, 5)
	r.stays(t, 5, "after re-creating a/b/c/f")
	write(t, filepath.Join(dir, "a", "b", "c", "f"), "5")
	r.waitCalls(t, 6)
	// A removed and re-created folder is watched again.
	if err := os.RemoveAll(filepath.Join(dir, "z")); err != nil {
		t.Fatal(err)
	}
	r.waitCalls(t, 7)
	r.stays(t, 7, "after removing a folder")
	write(t, filepath.Join(dir, "z", "b", "g"), "6")
	r.waitCalls(t, 8)
	r.stays(t, 8, "after re-creating z/b/g")
	write(t, filepath.Join(dir, "z", "b", "g"), "7")
	r.waitCalls(t, 9)
}

func TestRealIgnoredPathsDoNotTrigger(t *testing.T) {
	r := &recorder{}
	r.hook = func(int32) []string {
		return []string{"dist"}
	}
	_, dir := startReal(t, r, func(dir string) {
		write(t, filepath.Join(dir, ".git", "HEAD"), "ref")
		write(t, filepath.Join(dir, "node_modules", ".cache", "x"), "1")
	})
	write(t, filepath.Join(dir, ".git", "HEAD"), "ref2")
	write(t, filepath.Join(dir, ".git", "objects", "ab", "cd"), "obj")
	write(t, filepath.Join(dir, "__pycache__", "index.cpython-39.pyc"), "pyc")
	write(t, filepath.Join(dir, "node_modules", ".cache", "x"), "2")
	write(t, filepath.Join(dir, ".index.py.swp"), "swap")
	r.stays(t, 0, "writes in .git, __pycache__, node_modules/.cache and swap files")

	write(t, filepath.Join(dir, "index.py"), "code")
	r.waitCalls(t, 1) // this call reports dist as its own output
	r.stays(t, 1, "after one save")
	write(t, filepath.Join(dir, "dist", "bundle.js"), "built")
	write(t, filepath.Join(dir, "dist", "deep", "chunk.js"), "built")
	r.stays(t, 1, "writes under a path the reload returned")
}

func TestRealChangeDuringCallGivesOneMore(t *testing.T) {
	r := &recorder{}
	release := make(chan struct{})
	r.hook = func(n int32) []string {
		if n == 1 {
			<-release
		}
		return nil
	}
	_, dir := startReal(t, r, nil)
	write(t, filepath.Join(dir, "index.py"), "1")
	r.waitCalls(t, 1)
	for i := range 5 {
		write(t, filepath.Join(dir, "index.py"), string(rune('2'+i)))
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(quietWait) // well past the quiet period while call 1 still runs
	if got := r.n.Load(); got != 1 {
		t.Fatalf("got %d calls while the first was running, want 1", got)
	}
	close(release)
	r.waitCalls(t, 2)
	r.stays(t, 2, "changes during a call give exactly one more")
}

func TestRealCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	r := &recorder{}
	dir := t.TempDir()
	w, err := New(r.fn(t), realOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("B", dir); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	write(t, filepath.Join(dir, "index.py"), "1")
	r.waitCalls(t, 1)

	write(t, filepath.Join(dir, "index.py"), "2") // pending when Close comes
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("Run did not return after Close")
	}
	n := r.n.Load()
	write(t, filepath.Join(dir, "index.py"), "3")
	r.stays(t, n, "writes after Close")

	deadline := time.Now().Add(callTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, had %d before New:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRealRunEndsWithContext(t *testing.T) {
	r := &recorder{}
	w, err := New(r.fn(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("Run did not return when its context ended")
	}
	if err := w.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
}

func TestAddErrors(t *testing.T) {
	r := &recorder{}
	w, err := New(r.fn(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	write(t, file, "x")
	tests := []struct {
		name, fn, dir string
	}{
		{"empty name", "", dir},
		{"missing folder", "X", filepath.Join(dir, "missing")},
		{"a file", "Y", file},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.Add(tc.fn, tc.dir); err == nil {
				t.Errorf("Add(%q, %q) succeeded, want an error", tc.fn, tc.dir)
			}
		})
	}
	if err := w.Add("B", dir); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("B", dir); err == nil || !errors.Is(err, ErrExists) {
		t.Errorf("second Add = %v, want ErrExists", err)
	}
}

func TestRealLinkedFolderIsWalked(t *testing.T) {
	r := &recorder{}
	target := t.TempDir()
	write(t, filepath.Join(target, "sub", "index.py"), "1")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	w, err := New(r.fn(t), realOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("B", link); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	defer func() {
		w.Close()
		<-ran
	}()
	write(t, filepath.Join(target, "sub", "index.py"), "2")
	r.waitCalls(t, 1)
}
