package logstore

import (
	"slices"
	"testing"
)

// TestRestartKeepsRetries: an async invocation's attempts share its request
// id, each filed Running and then finished; a restart loads every attempt,
// as the store held them, across a rotation too.
func TestRestartKeepsRetries(t *testing.T) {
	for _, bound := range []int64{0, 3 << 10} { // 3 KB: the attempts span both segments
		dir := t.TempDir()
		s := open(t, Options{Dir: dir, MaxBytesPerFunction: bound})
		for retry := range 3 {
			r := rec("B", 7, "1", 0)
			r.Source, r.RetryNum, r.Running = SourceAsync, retry, true
			mustAppend(t, s, r)
			flush(t, s)
			r.Running, r.Status = false, 433
			if retry == 2 {
				r.Status = 200
			}
			if err := s.Update(r); err != nil {
				t.Fatal(err)
			}
			flush(t, s)
		}
		live, _ := s.Query(Query{Function: "B", Order: OrderAsc})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := open(t, Options{Dir: dir, MaxBytesPerFunction: bound}).Query(Query{Function: "B", Order: OrderAsc})
		attempts := func(recs []Record) (out []int) {
			for _, r := range recs {
				out = append(out, r.RetryNum*1000+r.Status)
			}
			return out
		}
		if want := []int{433, 1433, 2200}; !slices.Equal(attempts(live), want) {
			t.Fatalf("bound %d: live attempts %v, want %v", bound, attempts(live), want)
		}
		if !slices.Equal(attempts(got), attempts(live)) {
			t.Errorf("bound %d: after restart the attempts (retry*1000+status) are %v, want %v as before", bound, attempts(got), attempts(live))
		}
	}
}
