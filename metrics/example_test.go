package metrics_test

import (
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/metrics"
)

func Example() {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Options{Now: func() time.Time { return now }})
	for i := range 10 {
		v, status := "1", 200
		if i == 0 {
			v, status = "2", 430
		}
		m.Observe(metrics.Sample{Function: "B", Version: v, Alias: "release", Stage: "release", Status: status, Duration: 5 * time.Millisecond})
	}
	for _, st := range m.Stats("B", time.Minute) {
		fmt.Printf("v%s share=%.0f%% errors=%.0f%% p50=%v\n", st.Version, st.Share*100, st.ErrorRate*100, st.P50.Round(time.Millisecond))
	}
	// Output:
	// v1 share=90% errors=0% p50=5ms
	// v2 share=10% errors=100% p50=5ms
}
