package metrics

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// Latency buckets for windowed percentiles: 8 linear sub-buckets per power of
// two from 2^13 ns (8.2 µs) to 2^40 ns (18.3 min), plus one bucket below and
// one above. A bucket is at most 1/8 of its lower bound wide, so reporting
// its midpoint is within 6.25% of any duration inside it; durations under
// 8.2 µs read as 4.1 µs, over 18.3 min as 18.3 min.
const (
	subBits    = 3
	minExp     = 13
	maxExp     = 40
	numLatency = 2 + (maxExp-minExp)<<subBits
)

func latencyIndex(d time.Duration) int {
	ns := uint64(max(d, 0))
	if ns < 1<<minExp {
		return 0
	}
	e := bits.Len64(ns) - 1
	if e >= maxExp {
		return numLatency - 1
	}
	sub := int(ns>>(e-subBits)) & (1<<subBits - 1)
	return 1 + (e-minExp)<<subBits + sub
}

// latencyValue is the representative (midpoint) duration of bucket i.
func latencyValue(i int) time.Duration {
	switch {
	case i <= 0:
		return 1 << (minExp - 1)
	case i >= numLatency-1:
		return 1 << maxExp
	}
	e := (i-1)>>subBits + minExp
	sub := (i - 1) & (1<<subBits - 1)
	lo := int64(1<<subBits+sub) << (e - subBits)
	width := int64(1) << (e - subBits)
	return time.Duration(lo + width/2)
}

// slot is one second of one version's traffic.
type slot struct {
	sec                    int64 // unix second this slot holds
	requests, errors, cold uint32
	shadow                 uint32 // of requests, the shadow copies
	shadowDropped          uint32 // shadow copies not made
	byClass                [numClasses]uint32
	latency                [numLatency]uint32
}

// versionAgg is one version's ring of per-second slots; slot sec lives at
// index sec % len(slots).
type versionAgg struct {
	mu      sync.Mutex // guards slots and last
	slots   []*slot    // nil until traffic arrives, and again once idle for a whole window
	last    int64      // newest second observed
	seconds int        // ring length
}

// slotAt returns the slot of second sec, reset if it held an older second.
// a.mu must be held.
func (a *versionAgg) slotAt(sec int64) *slot {
	if a.slots == nil {
		a.slots = make([]*slot, a.seconds)
	}
	i := int(sec % int64(a.seconds))
	s := a.slots[i]
	if s == nil {
		s = new(slot)
		a.slots[i] = s
	}
	if s.sec != sec {
		*s = slot{sec: sec}
	}
	a.last = max(a.last, sec)
	return s
}

func (a *versionAgg) observe(sec int64, class int, d time.Duration, cold, shadow bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slotAt(sec)
	s.requests++
	if shadow {
		s.shadow++
	}
	if class != 0 {
		s.errors++
	}
	if cold {
		s.cold++
	}
	s.byClass[class]++
	s.latency[latencyIndex(d)]++
}

func (a *versionAgg) dropShadow(sec int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.slotAt(sec).shadowDropped++
}

// totals is a sum of slots.
type totals struct {
	requests, errors, cold int
	shadow, shadowDropped  int
	byClass                [numClasses]int
	latency                [numLatency]int
}

// sum adds the slots whose second is in [from, to] into t.
func (a *versionAgg) sum(t *totals, from, to int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.slots {
		if s == nil || s.sec < from || s.sec > to {
			continue
		}
		t.requests += int(s.requests)
		t.errors += int(s.errors)
		t.cold += int(s.cold)
		t.shadow += int(s.shadow)
		t.shadowDropped += int(s.shadowDropped)
		for c, n := range s.byClass {
			t.byClass[c] += int(n)
		}
		for i, n := range s.latency {
			t.latency[i] += int(n)
		}
	}
}

// each calls fn for every slot whose second is in [from, to].
func (a *versionAgg) each(from, to int64, fn func(s *slot)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.slots {
		if s != nil && s.sec >= from && s.sec <= to {
			fn(s)
		}
	}
}

// seenSince reports whether the version had traffic at or after sec, and
// frees the ring of a version idle for longer than the retention window.
func (a *versionAgg) seenSince(sec int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last < sec {
		a.slots = nil
		return false
	}
	return true
}

// percentile returns the duration at quantile q (0..1) of the histogram,
// nearest rank, 0 for an empty one.
func (t *totals) percentile(q float64) time.Duration {
	n := 0
	for _, c := range t.latency {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	seen := 0
	for i, c := range t.latency {
		seen += c
		if seen >= rank {
			return latencyValue(i)
		}
	}
	return latencyValue(numLatency - 1)
}
