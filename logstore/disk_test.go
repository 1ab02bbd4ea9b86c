package logstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRestartLoadsRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	run := rec("B", 2, "2", 0)
	run.Running = true
	timer := rec("B", 1, "2", 433)
	timer.Source, timer.Trigger, timer.RetryNum = "timer", "tick", 2
	web := rec("C", 0, "$LATEST", 200)
	web.Source, web.Stage = SourceGateway, "release"
	mustAppend(t, s, rec("B", 0, "1", 200), timer, run, web)
	run.Running, run.Status = false, 200
	if err := s.Update(run); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := open(t, Options{Dir: dir})
	got, total := s2.Query(Query{Function: "B", Order: OrderAsc})
	if g, w := ids(got), []string{"B-000", "B-001", "B-002"}; !slices.Equal(g, w) || total != 3 {
		t.Fatalf("after restart = %v (total %d), want %v", g, total, w)
	}
	if got[2].Running || got[2].Status != 200 {
		t.Errorf("updated record reloaded as %+v, want finished", got[2])
	}
	if got[1].Status != 433 || got[1].Duration != rec("B", 1, "2", 433).Duration || !got[1].StartTime.Equal(t0.Add(1e9)) {
		t.Errorf("record fields lost on reload: %+v", got[1])
	}
	if got[1].Trigger != "tick" || got[1].RetryNum != 2 || got[1].Source != "timer" {
		t.Errorf("trigger and retry lost on reload: %+v", got[1])
	}
	c, total := s2.Query(Query{Function: "C"})
	if total != 1 || c[0].Stage != "release" {
		t.Errorf("function C = %+v (total %d), want one record of stage release", c, total)
	}
}

func TestCorruptLastLineSkipped(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	mustAppend(t, s, rec("B", 0, "1", 200), rec("B", 1, "1", 200))
	s.Close()
	path := filepath.Join(dir, "default.B.jsonl")
	// A crash mid-write leaves half a line without its newline.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"requestId":"B-002","function":"B","ver`)
	f.Close()

	s2 := open(t, Options{Dir: dir})
	if got, _ := s2.Query(Query{Order: OrderAsc}); !slices.Equal(ids(got), []string{"B-000", "B-001"}) {
		t.Fatalf("loaded %v, want the two whole records", ids(got))
	}
	// Appending after the fragment must not glue a good record onto it.
	mustAppend(t, s2, rec("B", 3, "1", 200))
	s2.Close()
	s3 := open(t, Options{Dir: dir})
	if got, _ := s3.Query(Query{Order: OrderAsc}); !slices.Equal(ids(got), []string{"B-000", "B-001", "B-003"}) {
		t.Fatalf("after append past fragment: %v", ids(got))
	}
}

func TestFloodIsTruncated(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	r := rec("B", 0, "1", 200)
	r.Log = "HEAD" + strings.Repeat("y", 50<<20) + "TAIL"
	r.RetMsg = strings.Repeat("z", 1<<20)
	mustAppend(t, s, r)
	got, _ := s.Query(Query{})
	log := got[0].Log
	if len(log) > DefaultMaxLogBytes || !strings.HasPrefix(log, "HEAD") || !strings.HasSuffix(log, "TAIL") || !strings.Contains(log, "bytes dropped") {
		t.Errorf("stored log: %d bytes, head %q tail %q", len(log), log[:8], log[len(log)-8:])
	}
	if n := len(got[0].RetMsg); n > DefaultMaxRetMsgBytes {
		t.Errorf("stored RetMsg %d bytes, want <= %d", n, DefaultMaxRetMsgBytes)
	}
	s.Close()
	if st, _ := os.Stat(filepath.Join(dir, "default.B.jsonl")); st.Size() > 32<<10 {
		t.Errorf("file is %d bytes after one flooded record", st.Size())
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		k    fnKey
		want string
	}{
		{fnKey{"default", "B"}, "default.B.jsonl"},
		{fnKey{"ns-1", "my_fn-2"}, "ns-1.my_fn-2.jsonl"},
		{fnKey{"a.b", "../c"}, "a%2Eb.%2E%2E%2Fc.jsonl"},
	}
	for _, tc := range tests {
		if got := fileName(tc.k); got != tc.want {
			t.Errorf("fileName(%v) = %q, want %q", tc.k, got, tc.want)
		}
	}
}

func TestNewestLines(t *testing.T) {
	tests := []struct {
		in    string
		limit int64
		want  string
	}{
		{"a\nb\n", 10, "a\nb\n"},
		{"aa\nbb\ncc\n", 6, "bb\ncc\n"},
		{"aa\nbb\ncc\n", 5, "cc\n"},
		{"aaaaaa\n", 3, ""},
	}
	for _, tc := range tests {
		if got := string(newestLines([]byte(tc.in), tc.limit)); got != tc.want {
			t.Errorf("newestLines(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func mustJSON(t *testing.T, r Record) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func readLines(t *testing.T, path string) []Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestOpenLoadsOnlyTheTail(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, MaxBytesPerFunction: 1 << 20})
	for i := range 1000 {
		mustAppend(t, s, rec("B", i, "1", 200))
	}
	s.Close()
	const small = 16 << 10
	s2 := open(t, Options{Dir: dir, MaxBytesPerFunction: small})
	got, total := s2.Query(Query{})
	line := len(mustJSON(t, rec("B", 999, "1", 200)))
	if total == 0 || total > small/line+1 {
		t.Fatalf("loaded %d records from a %d-byte tail (lines of ~%d bytes)", total, small, line)
	}
	if got[0].RequestID != "B-999" {
		t.Errorf("newest loaded = %s, want B-999", got[0].RequestID)
	}
	for i := 1; i < len(got); i++ { // a contiguous run, no fragment parsed as a record
		if !got[i].StartTime.Before(got[i-1].StartTime) {
			t.Fatalf("loaded records not contiguous at %d", i)
		}
	}
}
