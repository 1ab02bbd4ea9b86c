package loadgen

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p50 of four rounds up", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p0 is the min", ms(1, 2, 3, 4), 0, 1 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.p/100); got != tc.want {
				t.Errorf("percentile(p%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestRunStopsAtTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	res := Run(t.Context(), nil, Plan{URL: srv.URL, Requests: 1000, Workers: 4, Timeout: 100 * time.Millisecond})
	if !res.TimedOut || len(res.Latencies) != 0 || res.Errors != 0 {
		t.Errorf("timed out %v, %d responses, %d errors; want true, 0, 0 (cut-short requests are not errors)",
			res.TimedOut, len(res.Latencies), res.Errors)
	}
}

func TestRunCountsVersionsAndFailures(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User") != "split-test-user-0" && r.Header.Get("User") != "split-test-user-1" {
			w.WriteHeader(http.StatusBadRequest) // no version: not a function's answer
			return
		}
		w.Header().Set("X-Scf-Version", r.Header.Get("User")[len("split-test-user-"):])
		if r.Header.Get("User") == "split-test-user-1" {
			w.WriteHeader(http.StatusBadGateway)
		}
		n++
	}))
	defer srv.Close()
	res := Run(t.Context(), nil, Plan{URL: srv.URL, Requests: 10, Workers: 1, Sticky: "User", Users: 2})
	if res.Answers() != 10 || res.Errors != 0 || res.TimedOut {
		t.Fatalf("answers %d errors %d timed out %v", res.Answers(), res.Errors, res.TimedOut)
	}
	if res.Versions["0"] != 5 || res.Versions["1"] != 5 || res.Non2xx != 5 || res.Status[502] != 5 {
		t.Errorf("versions %v non-2xx %d status %v", res.Versions, res.Non2xx, res.Status)
	}
	bad := Run(t.Context(), nil, Plan{URL: srv.URL, Requests: 3, Workers: 1})
	if bad.Versions[""] != 3 || bad.FirstError == nil || bad.Non2xx != 0 {
		t.Errorf("answers without a version: %+v", bad)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Plan
		ok   bool
	}{
		{"ok", Plan{URL: "http://127.0.0.1:1/", Requests: 1, Workers: 1}, true},
		{"no url", Plan{Requests: 1, Workers: 1}, false},
		{"not http", Plan{URL: "ftp://x", Requests: 1, Workers: 1}, false},
		{"no requests", Plan{URL: "http://x", Workers: 1}, false},
		{"no workers", Plan{URL: "http://x", Requests: 1}, false},
		{"sticky without users", Plan{URL: "http://x", Requests: 1, Workers: 1, Sticky: "User"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
