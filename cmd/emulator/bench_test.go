package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
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
//	EMULATOR_TEST_RUNTIME=docker go test ./cmd/emulator -run '^$' -bench HotReload -benchtime 20x
//
// SCF_BENCH_RELOAD_PAUSE (a duration, e.g. 1s) waits that long, untimed,
// between saves, as a person does; without it the saves come back to back.
func BenchmarkHotReload(b *testing.B) {
	var pause time.Duration
	if v := os.Getenv("SCF_BENCH_RELOAD_PAUSE"); v != "" {
		var err error
		if pause, err = time.ParseDuration(v); err != nil {
			b.Fatalf("SCF_BENCH_RELOAD_PAUSE: %v", err)
		}
	}
	cfg := workspace(b)
	app, _ := startApp(b, cfg, filepath.Join(b.TempDir(), "state"))
	url := app.GatewayURL() + "/dev/hello"
	get(b, url, nil) // warm $LATEST once
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if pause > 0 {
			b.StopTimer()
			time.Sleep(pause)
			b.StartTimer()
		}
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

// BenchmarkGatewayWeb measures a warm request through the whole gateway hop
// (routing, instance lease, reverse proxy) to the web sample, one at a time.
// Compare with BenchmarkDirectWeb, the same server called without the gateway.
func BenchmarkGatewayWeb(b *testing.B) {
	cfg := workspace(b)
	app, _ := startApp(b, cfg, filepath.Join(b.TempDir(), "state"))
	benchGET(b, app.GatewayURL()+"/release/web")
}

func benchGET(b *testing.B, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	do := func() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
	}
	for range 50 {
		do() // warm the instance and the connections
	}
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		start := time.Now()
		do()
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}
