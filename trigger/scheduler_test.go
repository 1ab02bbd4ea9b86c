package trigger

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// ticks records the ticks a job fired for.
type ticks struct {
	mu sync.Mutex // guards at
	at []time.Time
}

func (k *ticks) fire(_ context.Context, at time.Time) {
	k.mu.Lock()
	k.at = append(k.at, at)
	k.mu.Unlock()
}

func (k *ticks) seconds(t0 time.Time) []int {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []int
	for _, a := range k.at {
		out = append(out, int(a.Sub(t0)/time.Second))
	}
	return out
}

func mustCron(t *testing.T, expr string) Cron {
	t.Helper()
	c, err := ParseCron(expr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startScheduler runs s until the test ends.
func startScheduler(t *testing.T, s *Scheduler) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// The bubble's clock starts at 2000-01-01 00:00:00 UTC and only moves when
// every goroutine in it is blocked, so ticks are exact.
func TestSchedulerFakeClock(t *testing.T) {
	t.Run("fires every tick on time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			s := NewScheduler(RealClock{}, nil)
			var k ticks
			s.Set("f/tick", mustCron(t, "*/5 * * * * * *"), k.fire)
			startScheduler(t, s)
			time.Sleep(21 * time.Second)
			synctest.Wait()
			if got, want := k.seconds(t0), []int{5, 10, 15, 20}; !slices.Equal(got, want) {
				t.Fatalf("fired at %v s, want %v", got, want)
			}
		})
	})
	t.Run("removed job stops firing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			s := NewScheduler(RealClock{}, nil)
			var k ticks
			s.Set("f/tick", mustCron(t, "* * * * * * *"), k.fire)
			startScheduler(t, s)
			time.Sleep(3500 * time.Millisecond)
			s.Remove("f/tick")
			time.Sleep(10 * time.Second)
			synctest.Wait()
			if got, want := k.seconds(t0), []int{1, 2, 3}; !slices.Equal(got, want) {
				t.Fatalf("fired at %v s, want %v", got, want)
			}
			if len(s.Keys()) != 0 {
				t.Fatalf("keys = %v", s.Keys())
			}
		})
	})
	t.Run("replaced job keeps to its new cron", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			s := NewScheduler(RealClock{}, nil)
			var k ticks
			s.Set("f/tick", mustCron(t, "0 * * * * * *"), k.fire) // every minute
			startScheduler(t, s)
			time.Sleep(1500 * time.Millisecond)
			s.Set("f/tick", mustCron(t, "*/2 * * * * * *"), k.fire)
			time.Sleep(5 * time.Second)
			synctest.Wait()
			if got, want := k.seconds(t0), []int{2, 4, 6}; !slices.Equal(got, want) {
				t.Fatalf("fired at %v s, want %v", got, want)
			}
			if next, ok := s.Next("f/tick"); !ok || next.Sub(t0) != 8*time.Second {
				t.Fatalf("Next = %v %v", next, ok)
			}
		})
	})
	t.Run("jobs added while running and several at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			s := NewScheduler(RealClock{}, nil)
			startScheduler(t, s)
			time.Sleep(time.Second)
			var a, b ticks
			s.Set("a", mustCron(t, "*/3 * * * * * *"), a.fire)
			s.Set("b", mustCron(t, "*/2 * * * * * *"), b.fire)
			time.Sleep(6500 * time.Millisecond)
			synctest.Wait()
			if got, want := a.seconds(t0), []int{3, 6}; !slices.Equal(got, want) {
				t.Fatalf("a fired at %v, want %v", got, want)
			}
			if got, want := b.seconds(t0), []int{2, 4, 6}; !slices.Equal(got, want) {
				t.Fatalf("b fired at %v, want %v", got, want)
			}
		})
	})
	t.Run("a cron with no tick left never fires", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewScheduler(RealClock{}, nil)
			var k ticks
			s.Set("old", mustCron(t, "0 0 0 1 1 * 1999"), k.fire)
			startScheduler(t, s)
			time.Sleep(time.Hour)
			synctest.Wait()
			if len(k.seconds(time.Now())) != 0 {
				t.Fatal("fired")
			}
		})
	})
}

// jumpClock is a hand-written clock whose time jumps, as after a laptop
// sleep: After channels fire on Jump.
type jumpClock struct {
	mu      sync.Mutex // guards now and waiters
	now     time.Time
	waiters []jumpWaiter
}

type jumpWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, jumpWaiter{c.now.Add(d), ch})
	return ch
}

func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = keep
}

func TestSchedulerMissedTicksNotReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		clk := &jumpClock{now: t0}
		s := NewScheduler(clk, nil)
		var k ticks
		s.Set("f/tick", mustCron(t, "* * * * * * *"), k.fire)
		startScheduler(t, s)
		synctest.Wait()
		clk.Jump(time.Hour) // 3600 ticks pass while asleep
		synctest.Wait()
		clk.Jump(time.Second)
		synctest.Wait()
		if got, want := k.seconds(t0), []int{1, 3601}; !slices.Equal(got, want) {
			t.Fatalf("fired at %v s, want %v (one for the missed hour, then on time)", got, want)
		}
	})
}

// TestSchedulerRealTime is the one test on the wall clock: a 1 s cron fires
// for consecutive whole seconds, never before its tick. A tick is skipped
// only when the previous one ran a second or more late, as the Scheduler
// documents (a loaded machine can stall it that long).
func TestSchedulerRealTime(t *testing.T) {
	s := NewScheduler(RealClock{}, nil)
	fired := make(chan [2]time.Time, 10)
	s.Set("rt", mustCron(t, "* * * * * * *"), func(_ context.Context, at time.Time) {
		fired <- [2]time.Time{at, time.Now()}
	})
	startScheduler(t, s)
	var prev, prevRan time.Time
	for i := range 2 {
		select {
		case f := <-fired:
			at, now := f[0], f[1]
			if now.Before(at) || at.Nanosecond() != 0 {
				t.Fatalf("tick %d for %s ran at %s", i, at, now)
			}
			// The next tick is the first after the previous one ran: the
			// following second, unless that one had passed already.
			if !prev.IsZero() && (!at.After(prev) || (at.Sub(prev) != time.Second && prevRan.Before(at.Add(-time.Second)))) {
				t.Fatalf("ticks %s (ran at %s) then %s are not a second apart", prev, prevRan, at)
			}
			prev, prevRan = at, now
		case <-time.After(30 * time.Second): // a hang guard
			t.Fatalf("tick %d did not fire within 30 s", i)
		}
	}
}
