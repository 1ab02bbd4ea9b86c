package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkHotReload measures, through the real watcher, registry and
// process runtime, the time from saving a source file to the gateway serving
// the new code. It reports p50 and p90 in ms (target: p50 <= 300 ms).
//
//	go test ./cmd/emulator -run '^$' -bench HotReload -benchtime 20x
func BenchmarkHotReload(b *testing.B) {
	cfg := workspace(b)
	app, _ := startApp(b, cfg, filepath.Join(b.TempDir(), "state"))
	url := app.GatewayURL() + "/dev/hello"
	get(b, url, nil) // warm $LATEST once
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		msg := fmt.Sprintf("reload %d", i)
		start := time.Now()
		setMessage(b, cfg, msg)
		deadline := start.Add(10 * time.Second)
		for get(b, url, nil).Body["message"] != msg {
			if time.Now().After(deadline) {
				b.Fatalf("save %d not served within 10 s", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10])/1e6, "p90-ms")
}
