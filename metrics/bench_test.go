package metrics

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkObserve measures recording one invocation: Prometheus counters,
// histogram and the windowed aggregate, over a realistic set of series.
func BenchmarkObserve(b *testing.B) {
	m := New(Options{})
	var samples []Sample
	for v := 1; v <= 4; v++ {
		for _, st := range []string{"release", "prepub"} {
			samples = append(samples, Sample{Function: "B", Version: fmt.Sprint(v), Alias: st, Stage: st, Status: 200, HTTPStatus: 200, Duration: 3 * time.Millisecond})
		}
	}
	samples[3].Status = 433
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Observe(samples[i%len(samples)])
	}
}

// BenchmarkStats measures a dashboard poll over a full 15-minute window.
func BenchmarkStats(b *testing.B) {
	c := newClock()
	m := New(Options{Now: c.Now})
	for range 900 {
		for v := 1; v <= 3; v++ {
			m.Observe(Sample{Function: "B", Version: fmt.Sprint(v), Status: 200, Duration: time.Millisecond})
		}
		c.Advance(time.Second)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Stats("B", 0)
		m.Series("B", 0, 10*time.Second)
	}
}
