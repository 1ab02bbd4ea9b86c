package metrics

import (
	"math"
	"testing"
	"time"
)

func TestStatsSharesAndErrorRates(t *testing.T) {
	c := newClock()
	m := New(Options{Window: 5 * time.Minute, Now: c.Now})
	ms := time.Millisecond
	// Two minutes ago: only version 1, which must fall out of a 60 s window.
	observeN(m, 50, Sample{Function: "B", Version: "1", Alias: "release", Status: 200, Duration: 5 * ms})
	c.Advance(2 * time.Minute)
	// Now: 90/10 split between 1 and 2 through release, plus $LATEST direct.
	observeN(m, 85, Sample{Function: "B", Version: "1", Alias: "release", Stage: "release", Status: 200, Duration: 10 * ms})
	observeN(m, 5, Sample{Function: "B", Version: "1", Alias: "release", Stage: "release", Status: 433, Duration: 3 * time.Second})
	observeN(m, 8, Sample{Function: "B", Version: "2", Alias: "release", Stage: "release", Status: 200, Duration: 20 * ms, ColdStart: true})
	observeN(m, 2, Sample{Function: "B", Version: "2", Alias: "release", Stage: "release", Status: 430, Duration: 20 * ms})
	c.Advance(30 * time.Second)
	observeN(m, 100, Sample{Function: "B", Version: "$LATEST", Status: 200, Duration: ms})
	observeN(m, 7, Sample{Function: "other", Version: "1", Status: 200, Duration: ms})

	tests := []struct {
		name   string
		window time.Duration
		want   []VersionStats
	}{
		{"last 60s", time.Minute, []VersionStats{
			{Version: "1", Invocations: 90, Errors: 5, ErrorRate: 5.0 / 90, Share: 0.45, ByClass: map[string]int{"2xx": 85, "433": 5}},
			{Version: "2", Invocations: 10, Errors: 2, ErrorRate: 0.2, Share: 0.05, ColdStarts: 8, ByClass: map[string]int{"2xx": 8, "430": 2}},
			{Version: "$LATEST", Invocations: 100, Share: 0.5, ByClass: map[string]int{"2xx": 100}},
		}},
		{"last 10s", 10 * time.Second, []VersionStats{
			{Version: "1", ByClass: map[string]int{}},
			{Version: "2", ByClass: map[string]int{}},
			{Version: "$LATEST", Invocations: 100, Share: 1, ByClass: map[string]int{"2xx": 100}},
		}},
		{"whole retention", 0, []VersionStats{
			{Version: "1", Invocations: 140, Errors: 5, ErrorRate: 5.0 / 140, Share: 140.0 / 250, ByClass: map[string]int{"2xx": 135, "433": 5}},
			{Version: "2", Invocations: 10, Errors: 2, ErrorRate: 0.2, Share: 10.0 / 250, ColdStarts: 8, ByClass: map[string]int{"2xx": 8, "430": 2}},
			{Version: "$LATEST", Invocations: 100, Share: 100.0 / 250, ByClass: map[string]int{"2xx": 100}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Stats("B", tc.window)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d versions %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Version != w.Version || g.Invocations != w.Invocations || g.Errors != w.Errors || g.ColdStarts != w.ColdStarts ||
					!near(g.ErrorRate, w.ErrorRate) || !near(g.Share, w.Share) || !sameCounts(g.ByClass, w.ByClass) {
					t.Errorf("version %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}

	// Past the retention window everything is gone.
	c.Advance(10 * time.Minute)
	if got := m.Stats("B", 0); len(got) != 0 {
		t.Errorf("after the retention window: %+v, want none", got)
	}
}

func TestStatsPercentiles(t *testing.T) {
	c := newClock()
	m := New(Options{Now: c.Now})
	// 1..1000 ms, one each: exact P50 500 ms, P99 990 ms.
	for i := 1; i <= 1000; i++ {
		m.Observe(Sample{Function: "B", Version: "1", Status: 200, Duration: time.Duration(i) * time.Millisecond})
		if i%100 == 0 {
			c.Advance(time.Second)
		}
	}
	st := m.Stats("B", time.Minute)
	if len(st) != 1 {
		t.Fatalf("got %+v", st)
	}
	const tolerance = 0.0625 // bucket precision stated in window.go
	for _, p := range []struct {
		name      string
		got, want time.Duration
	}{{"P50", st[0].P50, 500 * time.Millisecond}, {"P99", st[0].P99, 990 * time.Millisecond}} {
		if rel := math.Abs(float64(p.got-p.want)) / float64(p.want); rel > tolerance {
			t.Errorf("%s = %v, want %v within %.2f%%", p.name, p.got, p.want, tolerance*100)
		}
	}
}

func TestSeries(t *testing.T) {
	c := newClock() // 10:00:00, a multiple of 10 s
	m := New(Options{Now: c.Now})
	c.Advance(-25 * time.Second) // 09:59:35
	for s := 0; s < 25; s++ {
		observeN(m, 2, Sample{Function: "B", Version: "1", Status: 200})
		if s%5 == 0 {
			m.Observe(Sample{Function: "B", Version: "2", Status: 433})
		}
		c.Advance(time.Second)
	}
	// Now 10:00:00; 30 s window = 09:59:31 .. 10:00:00 in 10 s steps.
	got := m.Series("B", 30*time.Second, 10*time.Second)
	at := func(hms string) time.Time {
		tm, _ := time.Parse(time.TimeOnly, hms)
		return time.Date(2026, 5, 1, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	want := []Point{
		{at("09:59:30"), "1", 10, 0, 0}, {at("09:59:30"), "2", 1, 1, 0}, // 35..39
		{at("09:59:40"), "1", 20, 0, 0}, {at("09:59:40"), "2", 2, 2, 0}, // 40..49
		{at("09:59:50"), "1", 20, 0, 0}, {at("09:59:50"), "2", 2, 2, 0}, // 50..59
		{at("10:00:00"), "1", 0, 0, 0}, {at("10:00:00"), "2", 0, 0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Version != want[i].Version || got[i].Requests != want[i].Requests || got[i].Errors != want[i].Errors {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := m.Series("nobody", time.Minute, time.Second); len(got) != 0 {
		t.Errorf("unknown function: %d points", len(got))
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
