package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Plan says what to send.
type Plan struct {
	Method   string // "" means GET
	URL      string
	Host     string // Host header; "" leaves the URL's
	Header   http.Header
	Requests int // total requests; a run never sends more
	Workers  int // concurrent requests
	// Timeout bounds the whole run; 0 leaves it to ctx. Requests not sent
	// by then are dropped, not counted as errors.
	Timeout time.Duration
	// Sticky, when set, is a header that request i fills with the value
	// "split-test-user-<i mod Users>", as if Users people sent them.
	Sticky string
	Users  int
}

// Validate reports the first thing wrong with p, in flag-neutral words.
func (p Plan) Validate() error {
	switch {
	case p.URL == "":
		return errors.New("no URL")
	case !strings.HasPrefix(p.URL, "http://") && !strings.HasPrefix(p.URL, "https://"):
		return fmt.Errorf("url %q is not http:// or https://", p.URL)
	case p.Requests < 1:
		return fmt.Errorf("%d requests: need at least 1", p.Requests)
	case p.Workers < 1:
		return fmt.Errorf("%d workers: need at least 1", p.Workers)
	case p.Timeout < 0:
		return fmt.Errorf("timeout %s is negative", p.Timeout)
	case p.Sticky != "" && p.Users < 1:
		return fmt.Errorf("%d users: need at least 1 for a sticky header", p.Users)
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Elapsed   time.Duration
	Latencies []time.Duration // one per answer, sorted
	Status    map[int]int
	Versions  map[string]int // answers by X-Scf-Version; "" counts answers without one
	// Non2xx counts answers that carried a version but a status outside 2xx:
	// the function ran and failed. An answer without a version did not
	// come from a function (Versions[""]).
	Non2xx     int
	Errors     int   // requests that got no answer
	FirstError error // the first of those, or of the answers without a version
	TimedOut   bool  // the timeout or ctx ended the run before every request was sent
}

// Answers is how many requests got an answer.
func (r Result) Answers() int { return len(r.Latencies) }

// Sent is how many requests were sent: answered or failed.
func (r Result) Sent() int { return len(r.Latencies) + r.Errors }

// Percentile is the nearest-rank latency at q (0..1) of the answers; 0
// when there are none.
func (r Result) Percentile(q float64) time.Duration {
	return Percentile(r.Latencies, q)
}

// Percentile is the nearest-rank value at q (0..1) of sorted; 0 when empty.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps q*n from landing a hair above a whole rank.
	rank := int(math.Ceil(q*float64(len(sorted)) - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// NewClient keeps one idle connection per worker, so a run measures
// requests rather than TCP handshakes, follows no redirect and ignores
// proxy settings: the targets are local servers.
func NewClient(workers int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        workers,
			MaxIdleConnsPerHost: workers,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run sends p.Requests requests over p.Workers workers with client (nil:
// NewClient) until they are sent, p.Timeout passes or ctx ends.
func Run(ctx context.Context, client *http.Client, p Plan) Result {
	if client == nil {
		client = NewClient(p.Workers)
		defer client.CloseIdleConnections()
	}
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Timeout)
		defer cancel()
	}
	if p.Method == "" {
		p.Method = http.MethodGet
	}
	var next atomic.Int64 // requests handed out so far
	tallies := make([]Result, max(p.Workers, 1))
	var wg sync.WaitGroup
	start := time.Now()
	for w := range tallies {
		t := &tallies[w]
		t.Status, t.Versions = map[int]int{}, map[string]int{}
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(p.Requests) {
					return
				}
				one(ctx, client, p, int(i), t)
			}
		})
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Status: map[int]int{}, Versions: map[string]int{}}
	for _, t := range tallies {
		res.Latencies = append(res.Latencies, t.Latencies...)
		for k, v := range t.Status {
			res.Status[k] += v
		}
		for k, v := range t.Versions {
			res.Versions[k] += v
		}
		res.Non2xx += t.Non2xx
		res.Errors += t.Errors
		if res.FirstError == nil {
			res.FirstError = t.FirstError
		}
	}
	slices.Sort(res.Latencies)
	res.TimedOut = res.Sent() < p.Requests
	return res
}

// one sends request i and records it in t.
func one(ctx context.Context, client *http.Client, p Plan, i int, t *Result) {
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, nil)
	if err != nil {
		t.fail(err)
		return
	}
	req.Header = p.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if p.Host != "" {
		req.Host = p.Host
	}
	if p.Sticky != "" {
		req.Header.Set(p.Sticky, "split-test-user-"+strconv.Itoa(i%p.Users))
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		// Latency includes the body: an answer is not served until it is read.
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	took := time.Since(began)
	if err != nil {
		if ctx.Err() != nil {
			return // cut short by the run's end: neither an answer nor an error
		}
		t.fail(err)
		return
	}
	t.Latencies = append(t.Latencies, took)
	t.Status[resp.StatusCode]++
	v := resp.Header.Get("X-Scf-Version")
	t.Versions[v]++
	switch {
	case v == "":
		if t.FirstError == nil {
			t.FirstError = errors.New(resp.Status + " without X-Scf-Version")
		}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		t.Non2xx++
	}
}

func (t *Result) fail(err error) {
	t.Errors++
	if t.FirstError == nil {
		t.FirstError = err
	}
}
