package reqlog

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/diff"
)

// TestAccessLog: every recorded request of every function is appended,
// redacted, as one JSON line replay reads.
func TestAccessLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.jsonl")
	if err := os.WriteFile(path, []byte(`{"method":"GET","path":"/old"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(0, diff.NewRedactor())
	a, err := OpenAccessLog(path, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	record(r, "B", "/b", time.Now(), http.Header{"Authorization": {"s3cret"}}, `{"x":1}`)
	record(r, "C", "/c", time.Now(), nil, "")
	var lines []Line
	deadline := time.Now().Add(10 * time.Second)
	for len(lines) < 3 && time.Now().Before(deadline) {
		lines = readLines(t, path)
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0].Path != "/old" || lines[1].Path != "/b" || lines[2].Path != "/c" {
		t.Fatalf("access log = %+v, want the old line, then /b and /c", lines)
	}
	if lines[1].Header.Get("Authorization") != diff.Masked || lines[1].Body != `{"x":1}` || lines[1].Stage != "release" {
		t.Errorf("line /b = %+v, want the credential masked, body and stage kept", lines[1])
	}
	if _, err := OpenAccessLog(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), r, nil); err == nil {
		t.Error("an access log in a missing directory opened")
	}
}

func readLines(t *testing.T, path string) []Line {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}
