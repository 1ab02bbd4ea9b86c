package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// gauge counts calls of Serve's fn in progress, per instance address.
type gauge struct {
	mu      sync.Mutex // guards the fields below
	now     int
	peak    int
	perAddr map[string]int
}

func (g *gauge) serve(d time.Duration) func(context.Context, string) error {
	return func(ctx context.Context, addr string) error {
		g.mu.Lock()
		g.now++
		g.peak = max(g.peak, g.now)
		if g.perAddr == nil {
			g.perAddr = map[string]int{}
		}
		g.perAddr[addr]++
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			g.now--
			g.mu.Unlock()
		}()
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func webSpec(concurrency int) Spec {
	s := testSpec("web")
	s.Type, s.Concurrency = "http", concurrency
	return s
}

// TestSharedInstance checks that with MaxConcurrency 4 and one instance at
// most, four slow requests run at once on that one instance, and a fifth
// waits for a free slot.
func TestSharedInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{MaxInstances: 1})
		defer mustClose(t, m)
		g := &gauge{}
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		start := time.Now()
		for range 5 {
			wg.Go(func() {
				_, err := m.Serve(t.Context(), webSpec(4), g.serve(time.Second))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if g.peak != 4 {
			t.Errorf("peak concurrent requests = %d, want 4", g.peak)
		}
		if starts, _ := rt.counts(); starts != 1 || len(g.perAddr) != 1 {
			t.Errorf("starts = %d, addresses %v; want one instance", starts, g.perAddr)
		}
		if took := time.Since(start); took != 2*time.Second {
			t.Errorf("5 requests of 1 s on 4 slots took %s, want 2s (fake clock)", took)
		}
	})
}

func TestConcurrencyScope(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      Spec
		wantPeak  int // 4 requests of 1 s on at most 2 instances
		wantStart int
	}{
		{"default one per instance", webSpec(0), 2, 2},
		{"two per instance", webSpec(2), 4, 2},
		{"event functions never share", func() Spec { s := webSpec(4); s.Type = "event"; return s }(), 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &fakeRuntime{}
				m := NewManager(rt, Options{MaxInstances: 2})
				defer mustClose(t, m)
				g := &gauge{}
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						if _, err := m.Serve(t.Context(), tc.spec, g.serve(time.Second)); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				starts, _ := rt.counts()
				if starts != tc.wantStart || g.peak != tc.wantPeak {
					t.Errorf("starts = %d, peak = %d; want %d, %d", starts, g.peak, tc.wantStart, tc.wantPeak)
				}
			})
		})
	}
}

// TestSharedTimeoutKeepsInstance checks that one request timing out on a
// shared instance fails alone: the others on it finish and it stays warm.
func TestSharedTimeoutKeepsInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{MaxInstances: 1})
		defer mustClose(t, m)
		spec := webSpec(2)
		spec.TimeoutSec = 2
		g := &gauge{}
		slow := make(chan error, 1)
		go func() {
			_, err := m.Serve(t.Context(), spec, g.serve(time.Minute))
			slow <- err
		}()
		synctest.Wait()
		if _, err := m.Serve(t.Context(), spec, g.serve(time.Second)); err != nil {
			t.Fatalf("request beside a slow one: %v", err)
		}
		if err := <-slow; !errors.Is(err, scferr.ErrTimeout) && scferr.Status(err) != scferr.ErrTimeout.Status {
			t.Fatalf("slow request: %v, want 433", err)
		}
		if _, stops := rt.counts(); stops != 0 {
			t.Errorf("stops = %d after a timeout on a shared instance, want 0", stops)
		}
		if s := m.Stats(); len(s) != 1 || s[0].Live != 1 || s[0].InFlight != 0 {
			t.Errorf("Stats = %+v, want one idle live instance", s)
		}
	})
}
