//go:build unix

package docker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
)

// BenchmarkDockerReload measures the docker runtime's share of a hot reload
// of a Python event function, as the engine drives it: Start of the new
// code (a new code hash) while the old instance runs, its first
// invocation, then the old instance's removal in the background. It
// reports the medians of the Start, of the first invocation and of the
// phases of a Start in a spare (from the runtime's debug log): waited (for
// a spare still being made), link (the code into the spare), order (the
// command through the FIFO), ready (the bootstrap's exec to its
// /runtime/init/ready), and how many Starts took a spare. The watcher and
// registry's share is BenchmarkHotReload's (cmd/emulator) minus this.
//
//	go test ./runtime/docker -run '^$' -bench DockerReload -benchtime 20x
//
// SCF_BENCH_RELOAD_PAUSE (a duration, e.g. 1s) pauses between reloads, as
// a person between saves, so that the next spare is ready; the pause is
// not timed. SCF_BENCH_SHELL_SPARES=1 makes spares wait in the image's
// shell, as where the emulator binary cannot (macOS, Windows).
func BenchmarkDockerReload(b *testing.B) {
	var pause time.Duration
	if v := os.Getenv("SCF_BENCH_RELOAD_PAUSE"); v != "" {
		var err error
		if pause, err = time.ParseDuration(v); err != nil {
			b.Fatalf("SCF_BENCH_RELOAD_PAUSE: %v", err)
		}
	}
	rec := &phaseLog{}
	d := newDockerTestRuntimeWith(b, DockerOptions{Logger: slog.New(rec)})
	d.spares.noBinary = os.Getenv("SCF_BENCH_SHELL_SPARES") == "1"
	needImage(b, d, DebianRuntimeImage)
	spec := func(i int) runtime.Spec {
		dir := b.TempDir()
		src := "def main_handler(event, context):\n    return {'tag': " + strconv.Itoa(i) + "}\n"
		if err := os.WriteFile(filepath.Join(dir, "index.py"), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		s := dockerSpec(dir, "Python3.9", "event")
		s.Handler, s.CodeHash = "index.main_handler", "reload"+strconv.Itoa(i)
		return s
	}
	old, err := d.Start(b.Context(), spec(-1))
	if err != nil {
		b.Fatal(err)
	}
	var retiring sync.WaitGroup
	var starts, invokes []time.Duration
	for i := 0; b.Loop(); i++ {
		if pause > 0 {
			b.StopTimer()
			time.Sleep(pause)
			b.StartTimer()
		}
		s := spec(i)
		t0 := time.Now()
		in, err := d.Start(b.Context(), s)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := in.Invoke(b.Context(), runtime.Invocation{RequestID: "r", Event: []byte(`{}`)}); err != nil {
			b.Fatal(err)
		}
		starts, invokes = append(starts, t1.Sub(t0)), append(invokes, time.Since(t1))
		retiring.Go(func(old runtime.Instance) func() {
			return func() { _ = old.Stop(context.WithoutCancel(b.Context())) }
		}(old))
		old = in
	}
	b.StopTimer()
	retiring.Wait()
	_ = old.Stop(context.WithoutCancel(b.Context()))
	ms := func(ds []time.Duration) float64 { return pct(ds, 50) }
	b.ReportMetric(ms(starts), "start-p50-ms")
	b.ReportMetric(pct(starts, 90), "start-p90-ms")
	b.ReportMetric(ms(invokes), "invoke-p50-ms")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, k := range []string{"waited", "link", "order", "ready"} {
		b.ReportMetric(ms(rec.phases[k]), k+"-p50-ms")
	}
	b.ReportMetric(float64(rec.taken), "spare-starts")
	b.ReportMetric(float64(rec.cold), "cold-starts")
}

// phaseLog is a slog.Handler that keeps the phases of Starts in spares.
type phaseLog struct {
	mu          sync.Mutex // guards the fields below
	phases      map[string][]time.Duration
	taken, cold int
}

func (h *phaseLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *phaseLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *phaseLog) WithGroup(string) slog.Handler            { return h }

func (h *phaseLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Message {
	case "spare container taken":
		h.taken++
		if h.phases == nil {
			h.phases = map[string][]time.Duration{}
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Value.Kind() == slog.KindDuration {
				h.phases[a.Key] = append(h.phases[a.Key], a.Value.Duration())
			}
			return true
		})
	case "no spare container: starting a new one":
		h.cold++
	}
	return nil
}

// pct is the p-th percentile of ds in milliseconds (nearest rank), 0 for
// none.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, len(ds)*p/100)]) / 1e6
}
