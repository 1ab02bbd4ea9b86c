package logstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// onDisk returns the records of function B's segments, previous then
// current (lines that do not parse skipped), and their total size.
func onDisk(t *testing.T, dir string) ([]Record, int64) {
	t.Helper()
	var recs []Record
	var size int64
	for _, name := range []string{"default.B.jsonl.1", "default.B.jsonl"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		size += st.Size()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			var r Record
			if json.Unmarshal([]byte(line), &r) == nil {
				recs = append(recs, r)
			}
		}
	}
	return recs, size
}

// loadDir is what a Store opening dir with bound starts from, before its
// rings (bounded by an estimate of memory, not of JSON) drop any.
func loadDir(t *testing.T, dir string, bound int64) []Record {
	t.Helper()
	d, err := openDisk(dir, bound, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.load()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// contiguous fails unless recs are B's records from some i up to last.
func contiguous(t *testing.T, recs []Record, last int) {
	t.Helper()
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	first := last - len(recs) + 1
	for i, r := range recs {
		if want := rec("B", first+i, "1", 200).RequestID; r.RequestID != want {
			t.Fatalf("record %d of %d is %s, want %s: not the newest run in order", i, len(recs), r.RequestID, want)
		}
	}
}

func TestRotationKeepsBound(t *testing.T) {
	for _, bound := range []int64{64 << 10, 4 << 10} { // 4 KB: one flushed batch is more than half
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, Options{Dir: dir, MaxBytesPerFunction: bound})
			line := int64(len(mustJSON(t, rec("B", 0, "1", 200)))) + 40 // the padded log below
			n := int(10 * bound / line)
			for i := range n {
				r := rec("B", i, "1", 200)
				r.Log = strings.Repeat("x", 40)
				mustAppend(t, s, r)
				if i%97 == 0 { // check the bound at many points, not only at the end
					flush(t, s)
					if _, size := onDisk(t, dir); size > bound {
						t.Fatalf("after %d records: %d bytes on disk, bound %d", i+1, size, bound)
					}
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "default.B.jsonl.1")); err != nil {
				t.Fatalf("no previous segment after writing 10 times the bound: %v", err)
			}
			recs, size := onDisk(t, dir)
			// A rotation happens only when the next line does not fit: the
			// newest half of the bound, less a line, is always kept.
			if size > bound || size <= bound/2-2*line {
				t.Fatalf("%d bytes on disk, want within (%d/2 - 2 lines, %d]", size, bound, bound)
			}
			contiguous(t, recs, n-1)
			if got := loadDir(t, dir, bound); !slices.Equal(ids(got), ids(recs)) {
				t.Errorf("loaded %v\nwant what is on disk %v", ids(got), ids(recs))
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
				t.Errorf("temp files left: %v", leftovers)
			}
		})
	}
}

// writeLines writes recs as a segment in dir.
func writeLines(t *testing.T, dir, name string, recs ...Record) {
	t.Helper()
	var b []byte
	for _, r := range recs {
		r.Namespace = "default"
		b = append(b, mustJSON(t, r)...)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReadsBothSegments(t *testing.T) {
	running := rec("B", 3, "1", 0)
	running.Running = true
	prev := []Record{rec("B", 0, "1", 200), rec("B", 1, "1", 200), rec("B", 2, "1", 200), running}
	cur := []Record{rec("B", 4, "1", 200), rec("B", 3, "1", 200), rec("B", 5, "1", 200)}
	tests := []struct {
		name string
		// bound is the load's bound, given the size of the current segment
		// and of the previous segment's second to last line.
		bound func(cur, line int64) int64
		want  []string
	}{
		{"all", func(cur, line int64) int64 { return 1 << 20 }, []string{"B-000", "B-001", "B-002", "B-003", "B-004", "B-005"}},
		// The bound reaches into the previous segment's last two lines; the
		// first of them is cut, so only the last loads.
		{"tail", func(cur, line int64) int64 { return cur + 3*line/2 }, []string{"B-003", "B-004", "B-005"}},
		{"current only", func(cur, line int64) int64 { return cur }, []string{"B-004", "B-003", "B-005"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLines(t, dir, "default.B.jsonl.1", prev...)
			writeLines(t, dir, "default.B.jsonl", cur...)
			st, err := os.Stat(filepath.Join(dir, "default.B.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			line := prev[2]
			line.Namespace = "default"
			got := loadDir(t, dir, tc.bound(st.Size(), int64(len(mustJSON(t, line)))))
			if !slices.Equal(ids(got), tc.want) {
				t.Fatalf("loaded %v, want %v", ids(got), tc.want)
			}
			for _, r := range got {
				if r.Running {
					t.Errorf("%s loaded as running; its finished line is in the current segment", r.RequestID)
				}
			}
		})
	}
}

func TestLoadAfterKillBetweenRenameAndFirstWrite(t *testing.T) {
	for _, emptyCurrent := range []bool{false, true} {
		t.Run(fmt.Sprint("empty current ", emptyCurrent), func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, Options{Dir: dir})
			for i := range 10 {
				mustAppend(t, s, rec("B", i, "1", 200))
			}
			s.Close()
			// The state a rotation leaves when killed right after its rename.
			cur, prev := filepath.Join(dir, "default.B.jsonl"), filepath.Join(dir, "default.B.jsonl.1")
			writeLines(t, dir, "default.B.jsonl.1", rec("B", 99, "1", 200)) // replaced by the rename
			if err := os.Rename(cur, prev); err != nil {
				t.Fatal(err)
			}
			if emptyCurrent {
				if err := os.WriteFile(cur, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s2 := open(t, Options{Dir: dir})
			got, _ := s2.Query(Query{Order: OrderAsc})
			contiguous(t, got, 9)
			if len(got) != 10 {
				t.Fatalf("loaded %v, want B-000..B-009", ids(got))
			}
			mustAppend(t, s2, rec("B", 10, "1", 200))
			s2.Close()
			s3 := open(t, Options{Dir: dir})
			got, _ = s3.Query(Query{Order: OrderAsc})
			contiguous(t, got, 10)
			if len(got) != 11 {
				t.Fatalf("after the next write: %v, want B-000..B-010", ids(got))
			}
		})
	}
}

func TestLoadSingleFileDir(t *testing.T) {
	// Written by the version before segments: one file, its last line cut.
	fixture, err := os.ReadFile("testdata/single-file/default.B.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	const bound = 16 << 10 // the fixture is between half of it and all of it
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "default.B.jsonl"), fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	got := loadDir(t, dir, bound)
	contiguous(t, got, 59)
	if len(got) != 60 {
		t.Fatalf("loaded %d records, want the fixture's 60", len(got))
	}
	s := open(t, Options{Dir: dir, MaxBytesPerFunction: bound})
	for i := 60; i < 120; i++ { // past a rotation of the old file
		mustAppend(t, s, rec("B", i, "1", 200))
		if i%10 == 0 {
			flush(t, s)
			if _, size := onDisk(t, dir); size > bound {
				t.Fatalf("after B-%03d: %d bytes on disk, bound %d", i, size, bound)
			}
		}
	}
	s.Close()
	recs, _ := onDisk(t, dir)
	contiguous(t, recs, 119)
	if got := loadDir(t, dir, bound); !slices.Equal(ids(got), ids(recs)) {
		t.Errorf("loaded %v\nwant what is on disk %v", ids(got), ids(recs))
	}
}

func TestForget(t *testing.T) {
	dir := t.TempDir()
	// Forgotten at t0+150s: after B-000..B-100 started, before B-200.
	s := open(t, Options{Dir: dir, MaxBytesPerFunction: 8 << 10, Now: func() time.Time { return t0.Add(150 * time.Second) }})
	for i := range 100 { // both rotate: two segments each
		mustAppend(t, s, rec("B", i, "1", 200), rec("C", i, "1", 200))
	}
	flush(t, s)
	mustAppend(t, s, rec("B", 100, "1", 200)) // still queued for the writer
	if err := s.Forget("", "B"); err != nil {
		t.Fatal(err)
	}
	if _, total := s.Query(Query{Function: "B"}); total != 0 {
		t.Errorf("%d records of B after Forget", total)
	}
	flush(t, s)
	if left, _ := filepath.Glob(filepath.Join(dir, "default.B.*")); len(left) > 0 {
		t.Errorf("files of B after Forget: %v", left)
	}
	for _, name := range []string{"default.C.jsonl", "default.C.jsonl.1"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("C's segment: %v", err)
		}
	}
	mustAppend(t, s, rec("B", 200, "1", 200)) // a function of the same name, created again
	s.Close()
	if err := s.Forget("", "C"); !errors.Is(err, ErrClosed) {
		t.Errorf("Forget after Close = %v, want ErrClosed", err)
	}
	s2 := open(t, Options{Dir: dir, MaxBytesPerFunction: 8 << 10})
	if got, _ := s2.Query(Query{Function: "B"}); !slices.Equal(ids(got), []string{"B-200"}) {
		t.Errorf("B after restart = %v, want only the record appended after Forget", ids(got))
	}
	if got, _ := s2.Query(Query{Function: "C"}); len(got) == 0 || got[0].RequestID != "C-099" {
		t.Errorf("C after restart = %v, want its newest records", ids(got))
	}
}

func TestRemoveFiles(t *testing.T) {
	dir := t.TempDir()
	// ns.ns%2FB.1.jsonl: a previous segment named as before (legacyPrevExt),
	// in a folder no store has opened since.
	names := []string{"default.B.jsonl", "default.B.jsonl.1", "ns.ns%2FB.jsonl", "ns.ns%2FB.jsonl.1", "ns.ns%2FB.1.jsonl",
		"default.C.jsonl", "default.B1.jsonl", "B.1.jsonl"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the second time nothing is left to remove
		if err := RemoveFiles(dir, "", "B"); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveFiles(dir, "ns", "ns/B"); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	for i := range left {
		left[i] = filepath.Base(left[i])
	}
	if want := []string{"B.1.jsonl", "default.B1.jsonl", "default.C.jsonl"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}

// TestOlderReaderSkipsPreviousSegment: an emulator from before segments
// took every *.jsonl file of the folder for a function's log (and one from
// before this naming, every *.1.jsonl for a previous segment). After
// rotations, each *.jsonl file is a current segment, so such a reader, run
// on the folder after a downgrade, sees each function once with its newest
// records, never the previous segment as another file of its own.
func TestOlderReaderSkipsPreviousSegment(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, MaxBytesPerFunction: 8 << 10})
	for i := range 100 { // rotates a few times
		mustAppend(t, s, rec("B", i, "1", 200))
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, "default.B"+prevExt)); err != nil {
		t.Fatalf("no previous segment after rotations: %v", err)
	}
	olderReads, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(olderReads) != 1 || filepath.Base(olderReads[0]) != "default.B.jsonl" {
		t.Errorf("an older reader reads %v, want only the current segment default.B.jsonl", olderReads)
	}
}

// TestMigratePreviousSegment: a folder written with the previous segment
// named <name>.1.jsonl is renamed to the current naming when a store opens
// it, and loads as before; a current segment whose name only looks like
// one (namespace B, function 1) is left alone. When both names exist (an
// older emulator rotated after a newer one had run), the newer file wins.
func TestMigratePreviousSegment(t *testing.T) {
	t.Run("renamed", func(t *testing.T) {
		dir := t.TempDir()
		writeLines(t, dir, "default.B.1.jsonl", rec("B", 0, "1", 200), rec("B", 1, "1", 200))
		writeLines(t, dir, "default.B.jsonl", rec("B", 2, "1", 200))
		writeLines(t, dir, "B.1.jsonl", rec("1", 7, "1", 200)) // its name only: the lines say the function

		s := open(t, Options{Dir: dir})
		if got, _ := s.Query(Query{Function: "B", Order: OrderAsc}); !slices.Equal(ids(got), []string{"B-000", "B-001", "B-002"}) {
			t.Errorf("B loaded %v, want B-000..B-002", ids(got))
		}
		if got, _ := s.Query(Query{Function: "1"}); len(got) != 1 {
			t.Errorf("function 1 loaded %v, want its record", ids(got))
		}
		s.Close()
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for i := range files {
			files[i] = filepath.Base(files[i])
		}
		if want := []string{"B.1.jsonl", "default.B.jsonl", "default.B.jsonl.1"}; !slices.Equal(files, want) {
			t.Errorf("files %v, want %v", files, want)
		}
	})
	t.Run("both names", func(t *testing.T) {
		dir := t.TempDir()
		writeLines(t, dir, "default.B.jsonl.1", rec("B", 0, "1", 200))
		writeLines(t, dir, "default.B.1.jsonl", rec("B", 1, "1", 200))
		writeLines(t, dir, "default.B.jsonl", rec("B", 2, "1", 200))
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "default.B.jsonl.1"), old, old); err != nil {
			t.Fatal(err)
		}
		got := loadDir(t, dir, 1<<20)
		if !slices.Equal(ids(got), []string{"B-001", "B-002"}) {
			t.Errorf("loaded %v, want the newer previous segment's B-001, then B-002", ids(got))
		}
		if _, err := os.Stat(filepath.Join(dir, "default.B.1.jsonl")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the old name is still there: %v", err)
		}
	})
}

// TestRecordAfterForget: a call still running when its function is
// deleted ends after Forget. Its record (here an async call's finished
// record replacing its Running one) is dropped: it starts no new log for
// the deleted function, in memory or on disk, and never lands in the log
// of a function created again under that name, whose own records (started
// after the Forget) are kept.
func TestRecordAfterForget(t *testing.T) {
	dir := t.TempDir()
	now := t0.Add(10 * time.Second)
	s := open(t, Options{Dir: dir, Now: func() time.Time { return now }})
	running := rec("B", 5, "1", 0)
	running.Running = true
	mustAppend(t, s, running, rec("C", 5, "1", 200))
	flush(t, s)
	follow := s.Follow(t.Context(), Query{Function: "B"})
	if err := s.Forget("", "B"); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(rec("B", 5, "1", 200)); err != nil { // the in-flight call ends
		t.Fatal(err)
	}
	mustAppend(t, s, rec("B", 6, "1", 200)) // another call that started before the deletion
	flush(t, s)
	if got, total := s.Query(Query{Function: "B"}); total != 0 {
		t.Errorf("B after its late records: %v, want none", ids(got))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "default.B.*")); len(left) > 0 {
		t.Errorf("late records started files of the deleted function: %v", left)
	}
	now = t0.Add(20 * time.Second)
	mustAppend(t, s, rec("B", 20, "1", 200)) // B created again, called
	select {
	case r := <-follow:
		if r.RequestID != "B-020" {
			t.Errorf("a follower of B got %s, want B-020: the late records are not sent either", r.RequestID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a follower of B got nothing")
	}
	s.Close()
	s2 := open(t, Options{Dir: dir})
	if got, _ := s2.Query(Query{Function: "B"}); !slices.Equal(ids(got), []string{"B-020"}) {
		t.Errorf("B after restart = %v, want only the new function's B-020", ids(got))
	}
	if got, _ := s2.Query(Query{Function: "C"}); !slices.Equal(ids(got), []string{"C-005"}) {
		t.Errorf("C after restart = %v, want C-005", ids(got))
	}
}
