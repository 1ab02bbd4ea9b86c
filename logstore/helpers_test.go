package logstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// rec builds a finished record of function fn, started i seconds after t0.
func rec(fn string, i int, version string, status int) Record {
	return Record{
		RequestID: fmt.Sprintf("%s-%03d", fn, i),
		Function:  fn,
		Version:   version,
		Qualifier: version,
		Source:    SourceAPI,
		StartTime: t0.Add(time.Duration(i) * time.Second),
		Duration:  time.Duration(i+1) * time.Millisecond,
		MemUsage:  int64(i) << 20,
		MemoryMB:  128,
		Status:    status,
	}
}

// open opens a store in dir and closes it when the test ends.
func open(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustAppend(t *testing.T, s *Store, recs ...Record) {
	t.Helper()
	for _, r := range recs {
		if err := s.Append(r); err != nil {
			t.Fatalf("Append(%s): %v", r.RequestID, err)
		}
	}
}

func flush(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func ids(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RequestID
	}
	return out
}
