package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// config says what to send.
type config struct {
	URL      string
	Method   string
	Requests int           // total requests; the run never sends more
	Workers  int           // concurrent requests
	Timeout  time.Duration // budget for the whole run
	Header   http.Header
}

func (c config) validate() error {
	switch {
	case c.URL == "":
		return errors.New("-url is required")
	case !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://"):
		return fmt.Errorf("url %q is not http:// or https://", c.URL)
	case c.Requests < 1:
		return fmt.Errorf("-n %d: need at least 1 request", c.Requests)
	case c.Workers < 1:
		return fmt.Errorf("-c %d: need at least 1 worker", c.Workers)
	case c.Timeout <= 0:
		return fmt.Errorf("-timeout %s: must be positive", c.Timeout)
	}
	return nil
}

// result is everything measured in one run.
type result struct {
	Elapsed    time.Duration
	Latencies  []time.Duration // one per response received, in no particular order
	Status     map[int]int
	Versions   map[string]int // by X-Scf-Version; "" when absent
	Errors     int            // requests that got no response
	FirstError string
	TimedOut   bool // the run's timeout ended it before every request was sent
}

// tally is one worker's share of a result; merged once the workers stop.
type tally struct {
	latencies  []time.Duration
	status     map[int]int
	versions   map[string]int
	errors     int
	firstError string
}

// run sends cfg.Requests requests over cfg.Workers workers and stops early
// when ctx ends or cfg.Timeout passes. Requests cut short by that are not
// counted.
func run(ctx context.Context, client *http.Client, cfg config) result {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	var next atomic.Int64 // requests handed out so far
	tallies := make([]tally, cfg.Workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range tallies {
		t := &tallies[w]
		t.status, t.versions = map[int]int{}, map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cfg.Requests) && ctx.Err() == nil {
				one(ctx, client, cfg, t)
			}
		}()
	}
	wg.Wait()

	res := result{Elapsed: time.Since(start), Status: map[int]int{}, Versions: map[string]int{}}
	for _, t := range tallies {
		res.Latencies = append(res.Latencies, t.latencies...)
		for k, v := range t.status {
			res.Status[k] += v
		}
		for k, v := range t.versions {
			res.Versions[k] += v
		}
		res.Errors += t.errors
		if res.FirstError == "" {
			res.FirstError = t.firstError
		}
	}
	res.TimedOut = len(res.Latencies)+res.Errors < cfg.Requests
	return res
}

// one sends a single request and records it in t.
func one(ctx context.Context, client *http.Client, cfg config, t *tally) {
	req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.URL, nil)
	if err != nil {
		t.fail(err)
		return
	}
	for k, vs := range cfg.Header {
		req.Header[k] = vs
	}
	if h := cfg.Header.Get("Host"); h != "" {
		req.Host = h
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		// Latency includes the body: a response is not served until it is read.
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	elapsed := time.Since(began)
	if err != nil {
		if ctx.Err() != nil {
			return // cut short by the run's end: neither a result nor an error
		}
		t.fail(err)
		return
	}
	t.latencies = append(t.latencies, elapsed)
	t.status[resp.StatusCode]++
	t.versions[resp.Header.Get("X-Scf-Version")]++
}

func (t *tally) fail(err error) {
	t.errors++
	if t.firstError == "" {
		t.firstError = err.Error()
	}
}
