package trigger

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Clock is the time a Scheduler runs on: RealClock in the emulator, a fake
// in tests.
type Clock interface {
	Now() time.Time
	// After sends the time once d has passed, like time.After.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FireFunc is called when a job's time comes, with the tick it fires for.
// It runs in its own goroutine, so a slow one delays no other job.
type FireFunc func(ctx context.Context, at time.Time)

// Scheduler fires cron jobs. It keeps no record of past ticks: a tick that
// passed while the scheduler was not running (or the machine slept) is not
// replayed; after a jump forward each job fires once, for the latest tick
// it missed, and then keeps to its cron.
type Scheduler struct {
	clock Clock
	log   *slog.Logger
	wake  chan struct{} // a change of jobs; buffered 1
	wg    sync.WaitGroup

	mu   sync.Mutex // guards jobs
	jobs map[string]*job
}

type job struct {
	cron Cron
	fire FireFunc
	next time.Time // zero when the cron has no tick left
}

// NewScheduler returns a scheduler on clock with no jobs.
func NewScheduler(clock Clock, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{clock: clock, log: log, wake: make(chan struct{}, 1), jobs: make(map[string]*job)}
}

// Set adds the job key, or replaces it; its first tick is the cron's next
// after now.
func (s *Scheduler) Set(key string, c Cron, fire FireFunc) {
	s.mu.Lock()
	s.jobs[key] = &job{cron: c, fire: fire, next: c.Next(s.clock.Now())}
	s.mu.Unlock()
	s.poke()
}

// Remove deletes the job key; a fire already started finishes.
func (s *Scheduler) Remove(key string) {
	s.mu.Lock()
	delete(s.jobs, key)
	s.mu.Unlock()
	s.poke()
}

// Keys returns the job keys, sorted.
func (s *Scheduler) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.jobs))
}

// Next returns the next tick of job key.
func (s *Scheduler) Next(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[key]
	if !ok {
		return time.Time{}, false
	}
	return j.next, true
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run fires jobs until ctx ends, then waits for the fires in flight.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.wg.Wait()
	for {
		wait := s.fireDue(ctx)
		var timer <-chan time.Time
		if wait >= 0 {
			timer = s.clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer:
		}
	}
}

// fireDue starts every job whose tick has come and returns how long until
// the next one, or -1 when no job has a tick left.
func (s *Scheduler) fireDue(ctx context.Context) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var earliest time.Time
	for _, key := range slices.Sorted(maps.Keys(s.jobs)) {
		j := s.jobs[key]
		if !j.next.IsZero() && !j.next.After(now) {
			at, fire := j.next, j.fire
			j.next = j.cron.Next(now) // ticks between at and now are dropped
			s.log.Debug("timer fires", "job", key, "tick", at)
			s.wg.Go(func() { fire(ctx, at) })
		}
		if !j.next.IsZero() && (earliest.IsZero() || j.next.Before(earliest)) {
			earliest = j.next
		}
	}
	if earliest.IsZero() {
		return -1
	}
	return max(0, earliest.Sub(now))
}
