package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/scferr"
)

// platformBody is the scferr body as a client decodes it.
type platformBody struct {
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	StackTrace   string `json:"stackTrace"`
	RequestID    string `json:"requestId"`
	StatusCode   int    `json:"statusCode"`
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name       string
		resolveErr error
		invokeErr  error
		wantHTTP   int
		wantSCF    int
		wantMsg    string
	}{
		{name: "user exception", invokeErr: scferr.UserError("ValueError", "bad", "trace"), wantHTTP: 200, wantSCF: 430, wantMsg: "user code exception caught"},
		{name: "timeout", invokeErr: scferr.Timeout(3), wantHTTP: 200, wantSCF: 433, wantMsg: "Invoking task timed out after 3 seconds"},
		{name: "memory", invokeErr: scferr.ErrMemory, wantHTTP: 200, wantSCF: 434},
		{name: "process exit", invokeErr: fmt.Errorf("run: %w", scferr.ErrProcessExit), wantHTTP: 200, wantSCF: 439},
		{name: "qualifier not found", resolveErr: scferr.ErrQualifierNotFound, wantHTTP: 404, wantSCF: 442},
		{name: "function not found", resolveErr: scferr.ErrFunctionNotFound, wantHTTP: 404, wantSCF: 435},
		{name: "request too large", invokeErr: scferr.ErrRequestTooLarge, wantHTTP: 413, wantSCF: 406},
		{name: "concurrency", invokeErr: scferr.ErrConcurrency, wantHTTP: 429, wantSCF: 432},
		{name: "canceled", invokeErr: scferr.ErrRequestCanceled, wantHTTP: 499, wantSCF: 499},
		{name: "plain context canceled", invokeErr: fmt.Errorf("wait: %w", context.Canceled), wantHTTP: 499, wantSCF: 499},
		{name: "container init", invokeErr: scferr.ErrContainerInit, wantHTTP: 502, wantSCF: 445},
		{name: "port binding", invokeErr: scferr.ErrPortBinding, wantHTTP: 502, wantSCF: 446},
		{name: "internal", invokeErr: scferr.ErrInternal, wantHTTP: 502, wantSCF: 500},
		{name: "response too large", invokeErr: scferr.ErrResponseTooLarge, wantHTTP: 502, wantSCF: 407},
		{name: "unclassified error", invokeErr: errors.New("disk on fire"), wantHTTP: 502, wantSCF: 500, wantMsg: "disk on fire"},
		{name: "unclassified resolve error", resolveErr: errors.New("registry gone"), wantHTTP: 502, wantSCF: 500, wantMsg: "registry gone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{
				InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) { return nil, tc.invokeErr },
			}
			if tc.resolveErr != nil {
				fb.ResolveFn = func(context.Context, string, string, http.Header) (Target, error) { return Target{}, tc.resolveErr }
			}
			var rec Record
			g := newTestGateway(t, fb, grayscale(), Options{Observe: func(r Record) { rec = r }})
			sequentialIDs(g)
			w := do(g, "GET", "/release/hello", nil, nil)
			if w.Code != tc.wantHTTP {
				t.Errorf("HTTP status = %d, want %d", w.Code, tc.wantHTTP)
			}
			var b platformBody
			if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %q is not the platform error json: %v", w.Body, err)
			}
			if b.StatusCode != tc.wantSCF || b.RequestID != "id-2" {
				t.Errorf("body %+v, want statusCode %d and requestId id-2", b, tc.wantSCF)
			}
			if tc.wantMsg != "" && !strings.Contains(b.ErrorMessage, tc.wantMsg) {
				t.Errorf("errorMessage %q does not contain %q", b.ErrorMessage, tc.wantMsg)
			}
			if got := w.Header().Get(hdrStatus); got != fmt.Sprint(tc.wantSCF) {
				t.Errorf("%s = %q, want %d", hdrStatus, got, tc.wantSCF)
			}
			if w.Header().Get(hdrRequestID) != "id-2" || w.Header().Get(hdrAPIRequestID) != "id-1" {
				t.Errorf("request id headers %v, want X-Scf-Request-Id id-2 and X-Api-RequestId id-1", w.Header())
			}
			if rec.Status != tc.wantHTTP || rec.SCFStatus != tc.wantSCF || rec.Err == nil {
				t.Errorf("Record %+v, want Status %d SCFStatus %d and an Err", rec, tc.wantHTTP, tc.wantSCF)
			}
		})
	}
}

func TestHTTPStatusTable(t *testing.T) {
	want := map[int]int{200: 200, 430: 200, 433: 200, 434: 200, 439: 200, 442: 404, 435: 404,
		406: 413, 432: 429, 499: 499, 445: 502, 446: 502, 500: 502, 437: 502, 12345: 502}
	for scf, h := range want {
		if got := httpStatus(scf); got != h {
			t.Errorf("httpStatus(%d) = %d, want %d", scf, got, h)
		}
	}
}

// TestResponseHeadersOnEveryAnswer checks the X-Scf-* answer headers on a
// success, a function failure and a malformed integration response.
func TestResponseHeadersOnEveryAnswer(t *testing.T) {
	answers := map[string]func() ([]byte, error){
		"success":       func() ([]byte, error) { return []byte(`{"statusCode":200,"body":"ok"}`), nil },
		"user error":    func() ([]byte, error) { return nil, scferr.UserError("E", "m", "") },
		"invalid":       func() ([]byte, error) { return []byte(`42`), nil },
		"backend fault": func() ([]byte, error) { return nil, errors.New("boom") },
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			fb := &fakeBackend{
				ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
					return Target{Function: fn, Qualifier: q, Version: "$LATEST", Route: "weight", Type: TypeEvent}, nil
				},
				InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) { return answer() },
			}
			g := newTestGateway(t, fb, grayscale(), Options{})
			w := do(g, "GET", "/release/hello", nil, nil)
			h := w.Header()
			if h.Get(hdrVersion) != "$LATEST" || h.Get(hdrRoute) != "weight" || h.Get(hdrRequestID) == "" ||
				h.Get(hdrAPIRequestID) == "" || h.Get(hdrStatus) == "" {
				t.Errorf("answer %d headers %v miss X-Scf-Version/Route/Request-Id/Status or X-Api-RequestId", w.Code, h)
			}
			if h.Get(hdrRequestID) == h.Get(hdrAPIRequestID) {
				t.Errorf("X-Scf-Request-Id and X-Api-RequestId are both %q; want separate ids", h.Get(hdrRequestID))
			}
		})
	}
}

// TestHeaderRuleRouting checks that the request headers reach Resolve, so an
// alias rule on invoke.headers.User picks its version at the gateway.
func TestHeaderRuleRouting(t *testing.T) {
	fb := &fakeBackend{ResolveFn: func(_ context.Context, fn, q string, h http.Header) (Target, error) {
		t := Target{Function: fn, Qualifier: q, Version: "3", Route: "primary", Type: TypeEvent}
		if q == "prepub" && h.Get("User") == "Bob" { // http.Header.Get ignores case
			t.Version, t.Route = "4", "rule"
		}
		return t, nil
	}}
	g := newTestGateway(t, fb, grayscale(), Options{})
	tests := []struct {
		name        string
		header      map[string]string
		wantVersion string
		wantRoute   string
	}{
		{"Bob hits the rule", map[string]string{"User": "Bob"}, "4", "rule"},
		{"lower-case header name", map[string]string{"user": "Bob"}, "4", "rule"},
		{"Alice misses", map[string]string{"User": "Alice"}, "3", "primary"},
		{"no header", nil, "3", "primary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(g, "GET", "/prepub/hello", nil, tc.header)
			if v, r := w.Header().Get(hdrVersion), w.Header().Get(hdrRoute); v != tc.wantVersion || r != tc.wantRoute {
				t.Errorf("X-Scf-Version %q X-Scf-Route %q, want %q %q", v, r, tc.wantVersion, tc.wantRoute)
			}
			var e echoed
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Version != tc.wantVersion {
				t.Errorf("function ran as %+v (%v), want version %s", e, err, tc.wantVersion)
			}
		})
	}
}

func TestPanicRecovery(t *testing.T) {
	boom := func() { panic("backend bug") }
	tests := []struct {
		name string
		fb   *fakeBackend
		path string
	}{
		{"resolve panics", &fakeBackend{ResolveFn: func(context.Context, string, string, http.Header) (Target, error) { boom(); return Target{}, nil }}, "/release/hello"},
		{"invoke panics", &fakeBackend{InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) { boom(); return nil, nil }}, "/release/hello"},
		{"serve panics", &fakeBackend{
			ResolveFn: func(context.Context, string, string, http.Header) (Target, error) {
				return Target{Version: "1", Type: TypeHTTP}, nil
			},
			ServeFn: func(context.Context, Target, string, func(context.Context, string) error) error {
				var m map[string]int
				m["nil map"]++ // a runtime panic, not only panic(string)
				return nil
			}}, "/release/hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex // guards observed
			observed := 0
			g := newTestGateway(t, tc.fb, grayscale(), Options{Observe: func(Record) { mu.Lock(); observed++; mu.Unlock() }})
			srv := startGateway(t, g)
			for i := range 2 { // the second request proves the server survived
				resp, err := srv.Client().Get(srv.URL + tc.path)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var b platformBody
				if err := json.Unmarshal(body, &b); err != nil {
					t.Fatalf("body %q is not the platform error json: %v", body, err)
				}
				if resp.StatusCode != http.StatusBadGateway || b.StatusCode != 500 || !strings.Contains(b.ErrorMessage, "panic") {
					t.Errorf("request %d: got %d %s, want 502 with an internal-error body naming the panic", i, resp.StatusCode, body)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if observed != 2 {
				t.Errorf("Observe called %d times for 2 requests", observed)
			}
		})
	}
}

func TestObserveOncePerRequest(t *testing.T) {
	var recs []Record
	g := newTestGateway(t, &fakeBackend{}, grayscale(), Options{Observe: func(r Record) { recs = append(recs, r) }})
	do(g, "GET", "/release/users/5", nil, map[string]string{"Host": "x.localhost"})
	do(g, "GET", "/nostage/x", nil, nil)
	if len(recs) != 2 {
		t.Fatalf("Observe called %d times for 2 requests", len(recs))
	}
	r := recs[0]
	if r.Service != "A" || r.Stage != "release" || r.Method != "GET" || r.Path != "/users/5" || r.Function != "B" ||
		r.Qualifier != "1" || r.Version != "1" || r.Route != "primary" || r.RequestID == "" || r.Status != 200 ||
		r.SCFStatus != 200 || r.Err != nil || r.Time.IsZero() || r.Duration <= 0 {
		t.Errorf("record %+v is incomplete", r)
	}
	r = recs[1]
	if r.Status != 404 || r.Function != "" || r.SCFStatus != 0 || r.Err == nil {
		t.Errorf("routing-error record %+v, want 404, no function, an Err", r)
	}
}
