package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/loadgen"
)

// summary is what loadgen reports; it is also the -json output.
type summary struct {
	URL        string         `json:"url"`
	Requests   int            `json:"requests"`
	Workers    int            `json:"concurrency"`
	Completed  int            `json:"completed"`
	Errors     int            `json:"errors"`
	TimedOut   bool           `json:"timed_out"`
	ElapsedS   float64        `json:"elapsed_s"`
	RPS        float64        `json:"rps"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Versions   map[string]int `json:"versions"`
	Status     map[string]int `json:"status"`
	FirstError string         `json:"first_error,omitempty"`
}

// noVersion labels responses without an X-Scf-Version header.
const noVersion = "(none)"

func summarize(cfg loadgen.Plan, res loadgen.Result) summary {
	lat := res.Latencies
	s := summary{
		URL:       cfg.URL,
		Requests:  cfg.Requests,
		Workers:   cfg.Workers,
		Completed: len(lat),
		Errors:    res.Errors,
		TimedOut:  res.TimedOut,
		ElapsedS:  round(res.Elapsed.Seconds(), 3),
		P50ms:     ms(loadgen.Percentile(lat, 0.5)),
		P90ms:     ms(loadgen.Percentile(lat, 0.9)),
		P99ms:     ms(loadgen.Percentile(lat, 0.99)),
		MaxMs:     ms(loadgen.Percentile(lat, 1)),
		Versions:  map[string]int{},
		Status:    map[string]int{},
	}
	if res.FirstError != nil {
		s.FirstError = res.FirstError.Error()
	}
	if res.Elapsed > 0 {
		s.RPS = round(float64(len(lat))/res.Elapsed.Seconds(), 1)
	}
	for v, n := range res.Versions {
		if v == "" {
			v = noVersion
		}
		s.Versions[v] += n
	}
	for code, n := range res.Status {
		s.Status[strconv.Itoa(code)] = n
	}
	return s
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

func writeText(w io.Writer, s summary) {
	fmt.Fprintf(w, "%s: %d requests, concurrency %d\n", s.URL, s.Requests, s.Workers)
	fmt.Fprintf(w, "completed  %d in %.3fs (%.1f req/s), %d errors", s.Completed, s.ElapsedS, s.RPS, s.Errors)
	if s.TimedOut {
		fmt.Fprint(w, ", stopped by -timeout")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "latency    p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", s.P50ms, s.P90ms, s.P99ms, s.MaxMs)
	fmt.Fprintf(w, "version    %s\n", counts(s.Versions))
	fmt.Fprintf(w, "status     %s\n", counts(s.Status))
	if s.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", s.FirstError)
	}
}

// counts prints a map as "k=n k=n", keys sorted.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
