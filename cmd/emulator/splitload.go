package main

import (
	"context"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/loadgen"
)

// loadPlan is what split-test sends, in its own terms; package loadgen
// sends it.
type loadPlan struct {
	method, url string
	host        string // Host header; "" leaves the URL's
	header      http.Header
	n           int // requests at most
	concurrency int
	// sticky, when set, is a header that every request fills with one of
	// users generated values, request i with user i mod users.
	sticky string
	users  int
}

// loadResult is what came back, as split-test reports it.
type loadResult struct {
	counts   map[string]int // answers by X-Scf-Version
	sent     int            // requests that got an answer or failed (not the ones cut by the deadline)
	errors   int            // no answer, or an answer without X-Scf-Version
	non2xx   int            // answers with a version but a status outside 2xx
	elapsed  time.Duration
	timedOut bool  // the deadline stopped the run before n requests
	firstErr error // the first error, for the message
	run      loadgen.Result
}

func (r loadResult) answers() int { return r.run.Answers() - r.run.Versions[""] }

// percentile is the latency at q (0..1) of the answered requests.
func (r loadResult) percentile(q float64) time.Duration {
	return r.run.Percentile(q).Round(10 * time.Microsecond)
}

// sendLoad sends plan.n requests with plan.concurrency workers until done
// or ctx ends, and counts the versions that answered.
func sendLoad(ctx context.Context, plan loadPlan) loadResult {
	res := loadgen.Run(ctx, nil, loadgen.Plan{Method: plan.method, URL: plan.url, Host: plan.host, Header: plan.header,
		Requests: plan.n, Workers: plan.concurrency, Sticky: plan.sticky, Users: plan.users})
	counts := make(map[string]int, len(res.Versions))
	for v, n := range res.Versions {
		if v != "" {
			counts[v] = n
		}
	}
	return loadResult{counts: counts, sent: res.Sent(), errors: res.Errors + res.Versions[""], non2xx: res.Non2xx,
		elapsed: res.Elapsed, timedOut: res.TimedOut, firstErr: res.FirstError, run: res}
}
