package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSaveToCallback measures the time from a file write to the start
// of the reload call with a 10 ms quiet period, and reports the median and
// 90th percentile of the part above the quiet period (inotify delivery plus
// scheduling).
func BenchmarkSaveToCallback(b *testing.B) {
	const debounce = 10 * time.Millisecond
	called := make(chan time.Time, 1)
	fn := func(ctx context.Context, name string) ([]string, error) {
		called <- time.Now()
		return nil, nil
	}
	dir := b.TempDir()
	w, err := New(fn, Options{Debounce: debounce})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Add("B", dir); err != nil {
		b.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	defer func() {
		w.Close()
		<-ran
	}()
	file := filepath.Join(dir, "index.py")
	var over []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := os.WriteFile(file, []byte(strconv.Itoa(i)), 0o644); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-called:
			over = append(over, at.Sub(start)-debounce)
		case <-time.After(5 * time.Second):
			b.Fatal("no callback within 5s")
		}
	}
	b.StopTimer()
	slices.Sort(over)
	if len(over) > 0 {
		b.ReportMetric(float64(over[len(over)/2].Microseconds()), "p50-µs-over-debounce")
		b.ReportMetric(float64(over[len(over)*9/10].Microseconds()), "p90-µs-over-debounce")
	}
}
