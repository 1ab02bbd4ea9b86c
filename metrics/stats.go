package metrics

import (
	"slices"
	"time"
)

// VersionStats is one version's traffic over a window. Shadow copies sent
// to the version count in Invocations, Errors, ErrorRate, the percentiles
// and ByClass, so a candidate's health shows before it takes real traffic;
// Shadow says how many of the invocations were copies.
type VersionStats struct {
	Version     string
	Invocations int
	Errors      int
	ErrorRate   float64 // Errors / Invocations; 0 without invocations
	// Share is this version's fraction of the function's real invocations:
	// shadow copies are left out on both sides.
	Share         float64
	P50, P99      time.Duration
	ColdStarts    int
	Shadow        int            // invocations that were shadow copies
	ShadowDropped int            // shadow copies not made (too many in flight)
	ByClass       map[string]int // classes with at least one invocation
}

// span turns a window into whole seconds [from, to] ending now, clamped to
// 1 s .. the retention window.
func (m *Metrics) span(window time.Duration) (from, to int64) {
	secs := int64((window + time.Second - 1) / time.Second)
	if secs <= 0 || secs > int64(m.seconds) {
		secs = int64(m.seconds)
	}
	to = m.now().Unix()
	return to - secs + 1, to
}

// versions returns the function's versions that had traffic within the
// retention window, in version order.
func (m *Metrics) versions(function string, now int64) ([]string, []*versionAgg) {
	m.mu.RLock()
	var names []string
	var aggs []*versionAgg
	for k, a := range m.aggs {
		if k.function == function {
			names = append(names, k.version)
			aggs = append(aggs, a)
		}
	}
	m.mu.RUnlock()
	type pair struct {
		v string
		a *versionAgg
	}
	ps := make([]pair, 0, len(names))
	for i, a := range aggs {
		if a.seenSince(now - int64(m.seconds) + 1) {
			ps = append(ps, pair{names[i], a})
		}
	}
	slices.SortFunc(ps, func(x, y pair) int {
		if versionLess(x.v, y.v) {
			return -1
		}
		return 1
	})
	names, aggs = names[:0], aggs[:0]
	for _, p := range ps {
		names = append(names, p.v)
		aggs = append(aggs, p.a)
	}
	return names, aggs
}

// Stats returns each version's traffic over the last window (0 or more
// than the retention window means all of it), sorted by version with
// $LATEST last. Versions seen within the retention window but idle in this
// one are listed with zero invocations.
func (m *Metrics) Stats(function string, window time.Duration) []VersionStats {
	from, to := m.span(window)
	names, aggs := m.versions(function, to)
	out := make([]VersionStats, len(names))
	total := 0
	for i, a := range aggs {
		var t totals
		a.sum(&t, from, to)
		vs := VersionStats{
			Version:       names[i],
			Invocations:   t.requests,
			Errors:        t.errors,
			ColdStarts:    t.cold,
			Shadow:        t.shadow,
			ShadowDropped: t.shadowDropped,
			P50:           t.percentile(0.50),
			P99:           t.percentile(0.99),
			ByClass:       make(map[string]int),
		}
		if t.requests > 0 {
			vs.ErrorRate = float64(t.errors) / float64(t.requests)
		}
		for c, n := range t.byClass {
			if n > 0 {
				vs.ByClass[classes[c]] = n
			}
		}
		total += t.requests - t.shadow
		out[i] = vs
	}
	for i := range out {
		if total > 0 {
			out[i].Share = float64(out[i].Invocations-out[i].Shadow) / float64(total)
		}
	}
	return out
}

// Point is one version's traffic in one step of a Series.
type Point struct {
	Time     time.Time // start of the step
	Version  string
	Requests int // invocations in the step, shadow copies included; divide by the step for a rate
	Errors   int
	Shadow   int // of Requests, the shadow copies
}

// Series returns per-version request and error counts over the last window
// in steps (rounded up to whole seconds, at least 1 s), for a chart. Steps
// are aligned to multiples of step since the Unix epoch, so successive calls
// line up; the first step may be cut by the window's start. Points are
// ordered by time, then version; every listed version has a point in every
// step.
func (m *Metrics) Series(function string, window, step time.Duration) []Point {
	from, to := m.span(window)
	st := max(int64((step+time.Second-1)/time.Second), 1)
	names, aggs := m.versions(function, to)
	first := from - from%st
	steps := int((to-first)/st) + 1
	out := make([]Point, steps*len(names))
	for k := range out {
		out[k] = Point{Time: time.Unix(first+int64(k/len(names))*st, 0), Version: names[k%len(names)]}
	}
	for i, a := range aggs {
		a.each(from, to, func(s *slot) {
			p := &out[int((s.sec-first)/st)*len(names)+i]
			p.Requests += int(s.requests)
			p.Errors += int(s.errors)
			p.Shadow += int(s.shadow)
		})
	}
	return out
}
