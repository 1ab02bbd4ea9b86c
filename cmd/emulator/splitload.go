package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadPlan is what split-test sends.
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

// loadResult is what came back.
type loadResult struct {
	counts   map[string]int // answers by X-Scf-Version
	sent     int            // requests that got an answer or failed (not the ones cut by the deadline)
	errors   int            // no answer, or an answer without X-Scf-Version
	non2xx   int            // answers with a version but a status outside 2xx
	lat      []time.Duration
	elapsed  time.Duration
	timedOut bool  // the deadline stopped the run before n requests
	firstErr error // the first error, for the message
}

func (r loadResult) answers() int {
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

// percentile is the nearest-rank latency at q of the finished requests.
func (r loadResult) percentile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := min(max(int(q*float64(len(r.lat))+0.999999)-1, 0), len(r.lat)-1)
	return r.lat[i].Round(10 * time.Microsecond)
}

// sendLoad sends plan.n requests with plan.concurrency workers until done
// or ctx ends, and counts the versions that answered.
func sendLoad(ctx context.Context, plan loadPlan) loadResult {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; HTTP_PROXY must not apply
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        plan.concurrency,
		MaxIdleConnsPerHost: plan.concurrency,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var next atomic.Int64
	var mu sync.Mutex // guards res
	res := loadResult{counts: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for range plan.concurrency {
		wg.Go(func() {
			local := loadResult{counts: map[string]int{}}
			for {
				i := int(next.Add(1) - 1)
				if i >= plan.n || ctx.Err() != nil {
					break
				}
				local.one(ctx, client, plan, i)
			}
			mu.Lock()
			defer mu.Unlock()
			res.merge(local)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.timedOut = ctx.Err() != nil && res.sent < plan.n
	slices.Sort(res.lat)
	return res
}

// one sends request i and records its outcome in r.
func (r *loadResult) one(ctx context.Context, client *http.Client, plan loadPlan, i int) {
	req, err := http.NewRequestWithContext(ctx, plan.method, plan.url, nil)
	if err != nil {
		r.fail(err)
		return
	}
	req.Header = plan.header.Clone()
	if plan.host != "" {
		req.Host = plan.host
	}
	if plan.sticky != "" {
		req.Header.Set(plan.sticky, "split-test-user-"+strconv.Itoa(i%plan.users))
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return // cut by the deadline: not sent, not an error
		}
		r.fail(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.sent++
	r.lat = append(r.lat, time.Since(start))
	v := resp.Header.Get("X-Scf-Version")
	if v == "" {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = errors.New(resp.Status + " without X-Scf-Version")
		}
		return
	}
	r.counts[v]++
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.non2xx++
	}
}

func (r *loadResult) fail(err error) {
	r.sent++
	r.errors++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *loadResult) merge(o loadResult) {
	for v, c := range o.counts {
		r.counts[v] += c
	}
	r.sent += o.sent
	r.errors += o.errors
	r.non2xx += o.non2xx
	r.lat = append(r.lat, o.lat...)
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}
