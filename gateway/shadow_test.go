package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// shadowBackend is a fakeBackend that is also a Shadower: it keeps the
// copies it is given, so the test runs them when it chooses, and counts
// the skipped ones.
type shadowBackend struct {
	*fakeBackend

	mu      sync.Mutex // guards runs, targets and skipped
	runs    []func(ctx context.Context)
	targets []Target
	skipped []string
}

func (s *shadowBackend) Shadow(t Target, run func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, run)
	s.targets = append(s.targets, t)
}

func (s *shadowBackend) ShadowSkipped(_ Target, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skipped = append(s.skipped, reason)
}

// runAll runs the copies handed over so far, in order.
func (s *shadowBackend) runAll(ctx context.Context) int {
	s.mu.Lock()
	runs := s.runs
	s.runs = nil
	s.mu.Unlock()
	for _, r := range runs {
		r(ctx)
	}
	return len(runs)
}

func TestShadowEvent(t *testing.T) {
	fb := &fakeBackend{}
	sb := &shadowBackend{fakeBackend: fb}
	fb.ResolveFn = func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
		return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "1", Route: "primary",
			Type: TypeEvent, MemoryMB: 128, TimeoutSec: 3, Shadow: "2"}, nil
	}
	var invoked []Target
	var mu sync.Mutex
	fb.InvokeFn = func(_ context.Context, tg Target, _ string, event []byte) ([]byte, error) {
		mu.Lock()
		invoked = append(invoked, tg)
		mu.Unlock()
		return echo(tg, event)
	}
	g := newTestGateway(t, sb, grayscale(), Options{})
	w := do(g, http.MethodPost, "/release/hello", strings.NewReader(`{"a":1}`), nil)
	if w.Code != http.StatusOK || w.Header().Get("X-Scf-Version") != "1" || !strings.Contains(w.Body.String(), `"Version":"1"`) {
		t.Fatalf("client got %d %q version %s, want the primary's answer", w.Code, w.Body, w.Header().Get("X-Scf-Version"))
	}
	if n := sb.runAll(t.Context()); n != 1 {
		t.Fatalf("%d copies handed to the shadower, want 1", n)
	}
	if len(invoked) != 2 {
		t.Fatalf("Invoke called %d times, want the request and its copy", len(invoked))
	}
	cp := invoked[1]
	if cp.Version != "2" || cp.Route != RouteShadow || cp.Shadow != "" || cp.Stage != "release" || cp.Qualifier != "release" {
		t.Errorf("copy target = %+v, want version 2, route shadow, same stage and qualifier", cp)
	}
	if sb.targets[0] != cp {
		t.Errorf("Shadow got target %+v, Invoke %+v", sb.targets[0], cp)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if string(fb.events[0]) != string(fb.events[1]) {
		t.Errorf("the copy's event differs from the request's:\n%s\n%s", fb.events[0], fb.events[1])
	}
}

func TestShadowNeedsAShadower(t *testing.T) {
	fb := &fakeBackend{ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
		return Target{Function: fn, Qualifier: q, Version: "1", Route: "primary", Type: TypeEvent, Shadow: "2"}, nil
	}}
	g := newTestGateway(t, fb, grayscale(), Options{})
	if w := do(g, http.MethodGet, "/release/hello", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.events) != 1 {
		t.Errorf("a backend that is no Shadower got %d invocations, want 1", len(fb.events))
	}
}

// countingUpstream is a web function that records every body it receives
// with the X-Scf-Version the gateway set.
func countingUpstream(t *testing.T) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex // guards got
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("X-Scf-Version")+" "+r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, "from "+r.Header.Get("X-Scf-Version"))
	}))
	t.Cleanup(up.Close)
	return up.Listener.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func TestShadowWeb(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		body      string
		wantCopy  bool
		wantCalls []string
	}{
		{"body replayed", Options{}, "hello body", true,
			[]string{"3 POST /app/x hello body", "4 POST /app/x hello body"}},
		{"no body", Options{}, "", true,
			[]string{"3 POST /app/x ", "4 POST /app/x "}},
		{"body over the replay limit", Options{ShadowBodyBytes: 4}, "hello body", false,
			[]string{"3 POST /app/x hello body"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, calls := countingUpstream(t)
			fb := webBackend(addr)
			base := fb.ResolveFn
			fb.ResolveFn = func(ctx context.Context, fn, q string, h http.Header) (Target, error) {
				tg, err := base(ctx, fn, q, h)
				tg.Shadow = "4"
				return tg, err
			}
			sb := &shadowBackend{fakeBackend: fb}
			srv := startGateway(t, newTestGateway(t, sb, webServices(), tc.opts))
			resp, err := http.Post(srv.URL+"/release/app/x", "text/plain", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(answer) != "from 3" || resp.Header.Get("X-Scf-Version") != "3" {
				t.Errorf("client got %q (version %s), want the real version's answer", answer, resp.Header.Get("X-Scf-Version"))
			}
			ran := sb.runAll(t.Context())
			if (ran == 1) != tc.wantCopy {
				t.Fatalf("%d copies run, want copy %v (skipped: %v)", ran, tc.wantCopy, sb.skipped)
			}
			if !tc.wantCopy && (len(sb.skipped) != 1 || !strings.Contains(sb.skipped[0], "4-byte replay limit")) {
				t.Errorf("skipped = %v, want one naming the limit", sb.skipped)
			}
			if got := calls(); strings.Join(got, "|") != strings.Join(tc.wantCalls, "|") {
				t.Errorf("web function saw %q, want %q", got, tc.wantCalls)
			}
		})
	}
}

// A copy whose web function dies mid-answer is a failed call for the
// backend to record, not a panic that escapes the background run.
func TestShadowWebAbortIsAnError(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Scf-Version") == "4" {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	fb := webBackend(up.Listener.Addr().String())
	base := fb.ResolveFn
	fb.ResolveFn = func(ctx context.Context, fn, q string, h http.Header) (Target, error) {
		tg, err := base(ctx, fn, q, h)
		tg.Shadow = "4"
		return tg, err
	}
	var copyErr error
	serve := fb.ServeFn
	fb.ServeFn = func(ctx context.Context, tg Target, id string, fn func(context.Context, string) error) error {
		err := serve(ctx, tg, id, fn)
		if tg.Route == RouteShadow {
			copyErr = err
		}
		return err
	}
	sb := &shadowBackend{fakeBackend: fb}
	srv := startGateway(t, newTestGateway(t, sb, webServices(), Options{}))
	resp, err := http.Get(srv.URL + "/release/app/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if sb.runAll(t.Context()) != 1 || copyErr == nil {
		t.Errorf("copy error = %v, want the aborted answer reported to the backend", copyErr)
	}
}

// The copy of an event request carries the same API Gateway event.
func TestShadowEventIsTheSameEvent(t *testing.T) {
	fb := &fakeBackend{}
	fb.ResolveFn = func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
		return Target{Function: fn, Qualifier: q, Version: "1", Route: "weight", Type: TypeEvent, Shadow: "$LATEST"}, nil
	}
	sb := &shadowBackend{fakeBackend: fb}
	g := newTestGateway(t, sb, grayscale(), Options{})
	do(g, http.MethodGet, "/prepub/hello?x=1", nil, map[string]string{"User": "Bob"})
	sb.runAll(t.Context())
	fb.mu.Lock()
	defer fb.mu.Unlock()
	var ev struct {
		Headers     map[string]string `json:"headers"`
		QueryString map[string]any    `json:"queryString"`
	}
	if len(fb.events) != 2 || json.Unmarshal(fb.events[1], &ev) != nil || ev.Headers["user"] != "Bob" || ev.QueryString["x"] != "1" {
		t.Errorf("copy event = %s", fb.events[len(fb.events)-1])
	}
}
