package logstore

import (
	"context"
	"testing"
	"time"
)

func TestFollowDeliversLiveRecords(t *testing.T) {
	s := open(t, Options{})
	mustAppend(t, s, rec("B", 0, "1", 200)) // before Follow: not delivered
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.Follow(ctx, Query{Function: "B", Qualifier: "2"})
	mustAppend(t, s, rec("B", 1, "2", 200), rec("B", 2, "1", 200), rec("C", 3, "2", 200), rec("B", 4, "2", 430))
	run := rec("B", 5, "2", 0)
	run.Running = true
	mustAppend(t, s, run)
	run.Running, run.Status = false, 200
	if err := s.Update(run); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      string
		running bool
	}{{"B-001", false}, {"B-004", false}, {"B-005", true}, {"B-005", false}}
	for _, w := range want {
		select {
		case r := <-ch:
			if r.RequestID != w.id || r.Running != w.running {
				t.Fatalf("got %s running=%v, want %s running=%v", r.RequestID, r.Running, w.id, w.running)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for %s", w.id)
		}
	}
	cancel()
	for range ch { // must be closed after cancel
	}
}

func TestFollowSlowReaderNeverBlocksAppend(t *testing.T) {
	s := open(t, Options{})
	ch := s.Follow(t.Context(), Query{}) // never read until the end
	const n = followBuffer * 4
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if err := s.Append(rec("B", i, "1", 200)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Append blocked behind a slow follower")
	}
	if _, total := s.Query(Query{}); total != n {
		t.Errorf("stored %d records, want %d", total, n)
	}
	got := 0
	for len(ch) > 0 {
		<-ch
		got++
	}
	if got != followBuffer {
		t.Errorf("slow follower holds %d records, want its buffer of %d (the rest dropped)", got, followBuffer)
	}
}

func TestFollowClosedByClose(t *testing.T) {
	s := open(t, Options{})
	ch := s.Follow(t.Context(), Query{})
	s.Close()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("received a record, want a closed channel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow channel not closed by Close")
	}
	if _, ok := <-s.Follow(t.Context(), Query{}); ok {
		t.Fatal("Follow after Close returned an open channel")
	}
}
