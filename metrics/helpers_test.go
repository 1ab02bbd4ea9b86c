package metrics

import (
	"sync"
	"time"
)

// clock is a hand-set clock for the window tests.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// observeN records n samples of one version.
func observeN(m *Metrics, n int, s Sample) {
	for range n {
		m.Observe(s)
	}
}
