package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// seen is what the upstream web function received.
type seen struct {
	RequestURI, Path, Query, Host, Body string
	Header                              http.Header
}

// webUpstream starts a web function that records its request and answers
// 201 with a header of its own and a spoofed X-Scf-Version.
func webUpstream(t *testing.T) (addr string, last func() seen, conns *atomic.Int64) {
	t.Helper()
	var mu sync.Mutex // guards got
	var got seen
	conns = new(atomic.Int64)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = seen{RequestURI: r.RequestURI, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Body: string(b), Header: r.Header.Clone()}
		mu.Unlock()
		w.Header().Set("X-Custom", "from-function")
		w.Header().Set("X-Scf-Version", "evil")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "web says hi")
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	return up.Listener.Addr().String(), func() seen { mu.Lock(); defer mu.Unlock(); return got }, conns
}

func webServices() []Service {
	return []Service{{
		Name:   "A",
		Stages: map[string]string{"release": "release"},
		APIs: []API{
			{Path: "/app/{rest:.*}", Method: "ANY", Function: "W"},
		},
	}}
}

func webBackend(addr string) *fakeBackend {
	return &fakeBackend{
		ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
			return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "3", Route: "weight",
				Type: TypeHTTP, MemoryMB: 256, TimeoutSec: 9}, nil
		},
		ServeFn: func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
			return fn(ctx, addr)
		},
	}
}

// startGateway serves g on a loopback listener.
func startGateway(t *testing.T, g *Gateway) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

func TestWebPassthrough(t *testing.T) {
	addr, last, conns := webUpstream(t)
	g := newTestGateway(t, webBackend(addr), webServices(), Options{})
	srv := startGateway(t, g)

	for i := range 3 {
		req, _ := http.NewRequest("POST", srv.URL+"/release/app/x/y?q=1&q=2&flag", strings.NewReader("payload"))
		req.Header.Set("X-Scf-Version", "spoofed")
		req.Header.Set("x-scf-custom", "spoofed")
		// CGI-style servers read X_Scf_Request_Id as X-Scf-Request-Id.
		req.Header["X_scf_request_id"] = []string{"spoofed"}
		req.Header["X_forwarded_for"] = []string{"6.6.6.6"}
		req.Header.Set("X-Client", "kept")
		req.Header["X_client_note"] = []string{"kept"}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()

		if resp.StatusCode != http.StatusCreated || string(body) != "web says hi" {
			t.Fatalf("request %d: got %d %q, want 201 from the function", i, resp.StatusCode, body)
		}
		s := last()
		if s.Path != "/app/x/y" || s.Query != "q=1&q=2&flag" || s.Body != "payload" {
			t.Errorf("upstream saw path %q query %q body %q; want the stage stripped and the rest kept", s.Path, s.Query, s.Body)
		}
		wantHeaders := map[string]string{
			"X-Scf-Version": "3", "X-Scf-Name": "W", "X-Scf-Namespace": "default", "X-Scf-Memory": "256",
			"X-Scf-Timeout": "9", "X-Scf-Region": "ap-guangzhou", "X-Scf-Appid": "1250000000",
			"X-Scf-Uin": "100000000001", "X-Client": "kept",
			"X-Scf-Request-Id": resp.Header.Get(hdrRequestID),
		}
		for k, want := range wantHeaders {
			if got := s.Header.Values(k); len(got) != 1 || got[0] != want {
				t.Errorf("upstream header %s = %q, want [%q]", k, got, want)
			}
		}
		if v := s.Header.Get("X-Scf-Custom"); v != "" {
			t.Errorf("client-sent X-Scf-Custom reached the function: %q", v)
		}
		for _, k := range []string{"X_scf_request_id", "X_forwarded_for"} {
			if v := s.Header[k]; v != nil {
				t.Errorf("client-sent %s reached the function: %q", k, v)
			}
		}
		if v := s.Header["X_client_note"]; len(v) != 1 || v[0] != "kept" {
			t.Errorf("X_client_note = %q, want [kept]: only platform-owned names are dropped", v)
		}
		if s.Header.Get("X-Forwarded-For") == "" {
			t.Errorf("no X-Forwarded-For")
		}
		if s.Host != strings.TrimPrefix(srv.URL, "http://") {
			t.Errorf("upstream Host = %q, want the client's %q", s.Host, srv.URL)
		}
		if got := resp.Header.Values("X-Scf-Version"); len(got) != 1 || got[0] != "3" {
			t.Errorf("answer X-Scf-Version = %q, want [3] (the function's own value dropped)", got)
		}
		if resp.Header.Get("X-Custom") != "from-function" || resp.Header.Get(hdrRoute) != "weight" ||
			resp.Header.Get(hdrStatus) != "200" || resp.Header.Get(hdrAPIRequestID) == "" {
			t.Errorf("answer headers %v miss the function's or the gateway's", resp.Header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("upstream saw %d connections for 3 sequential requests, want 1 (a shared transport)", n)
	}
}

func TestWebEscapedPath(t *testing.T) {
	addr, last, _ := webUpstream(t)
	g := newTestGateway(t, webBackend(addr), webServices(), Options{})
	srv := startGateway(t, g)
	resp, err := srv.Client().Get(srv.URL + "/release/app/a%2Fb?x=%20")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := last().RequestURI; got != "/app/a%2Fb?x=%20" {
		t.Errorf("upstream RequestURI = %q, want /app/a%%2Fb?x=%%20", got)
	}
}

func TestWebFailures(t *testing.T) {
	refused := func() string { // a port nobody listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := l.Addr().String()
		l.Close()
		return a
	}()
	tests := []struct {
		name       string
		serve      func(ctx context.Context, fn func(context.Context, string) error) error
		wantStatus int
		wantSCF    int
	}{
		{"connection refused", func(ctx context.Context, fn func(context.Context, string) error) error {
			return fn(ctx, refused)
		}, http.StatusBadGateway, 500},
		{"backend reclassifies a crash", func(ctx context.Context, fn func(context.Context, string) error) error {
			if err := fn(ctx, refused); err != nil {
				return scferr.New(scferr.ErrProcessExit, "user process exit when running", err)
			}
			return nil
		}, http.StatusOK, 439},
		{"backend swallows the proxy error", func(ctx context.Context, fn func(context.Context, string) error) error {
			_ = fn(ctx, refused)
			return nil
		}, http.StatusBadGateway, 500},
		{"instance never came up", func(context.Context, func(context.Context, string) error) error {
			return scferr.ErrPortBinding
		}, http.StatusBadGateway, 446},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := webBackend("")
			fb.ServeFn = func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
				return tc.serve(ctx, fn)
			}
			g := newTestGateway(t, fb, webServices(), Options{})
			srv := startGateway(t, g)
			resp, err := srv.Client().Get(srv.URL + "/release/app/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				ErrorCode    int    `json:"errorCode"`
				ErrorMessage string `json:"errorMessage"`
				RequestID    string `json:"requestId"`
				StatusCode   int    `json:"statusCode"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body is not the platform error json: %v", err)
			}
			if strings.Contains(body.ErrorMessage, refused) || strings.Contains(body.ErrorMessage, "127.0.0.1") {
				t.Errorf("errorMessage %q shows the instance's internal address", body.ErrorMessage)
			}
			if resp.StatusCode != tc.wantStatus || body.StatusCode != tc.wantSCF || body.ErrorCode != -1 {
				t.Errorf("got HTTP %d body %+v, want HTTP %d statusCode %d errorCode -1", resp.StatusCode, body, tc.wantStatus, tc.wantSCF)
			}
			if body.RequestID == "" || body.RequestID != resp.Header.Get(hdrRequestID) {
				t.Errorf("requestId %q, X-Scf-Request-Id %q: want the same non-empty id", body.RequestID, resp.Header.Get(hdrRequestID))
			}
			if resp.Header.Get(hdrStatus) != fmt.Sprint(tc.wantSCF) || resp.Header.Get(hdrVersion) != "3" {
				t.Errorf("headers %v: want X-Scf-Status %d and X-Scf-Version 3", resp.Header, tc.wantSCF)
			}
		})
	}
}

func TestWebBodyTooLarge(t *testing.T) {
	addr, _, _ := webUpstream(t)
	var served atomic.Int64
	fb := webBackend(addr)
	fb.ServeFn = func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
		served.Add(1)
		return fn(ctx, addr)
	}
	g := newTestGateway(t, fb, webServices(), Options{MaxBodyBytes: 10})
	tests := []struct {
		name      string
		body      io.Reader
		wantServe int64
	}{
		{"declared length", strings.NewReader("12345678901"), 0},
		// The body is received before an instance is taken, so an
		// overflowing stream never reaches the function either.
		{"unknown length", chunked{strings.NewReader(strings.Repeat("x", 64<<10))}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			served.Store(0)
			w := do(g, "POST", "/release/app/x", tc.body, nil)
			if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `"statusCode":406`) {
				t.Errorf("got %d %s, want 413 with the 406 body", w.Code, w.Body)
			}
			if served.Load() != tc.wantServe {
				t.Errorf("Serve called %d times, want %d", served.Load(), tc.wantServe)
			}
		})
	}
}

// TestWebAbortMidResponse checks that a function dying halfway through its
// answer aborts that one response and leaves the gateway serving.
func TestWebAbortMidResponse(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app/ok" {
			fmt.Fprint(w, "fine")
			return
		}
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		fmt.Fprint(w, "partial")
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer up.Close()
	var mu sync.Mutex // guards recs and fnErrs
	var recs []Record
	fb := webBackend(up.Listener.Addr().String())
	var fnErrs []error // what fn returned to the backend
	fb.ServeFn = func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
		err := fn(ctx, up.Listener.Addr().String()) // a panic here would skip the backend's cleanup
		mu.Lock()
		fnErrs = append(fnErrs, err)
		mu.Unlock()
		return err
	}
	g := newTestGateway(t, fb, webServices(), Options{Observe: func(r Record) {
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
	}})
	srv := startGateway(t, g)

	resp, err := srv.Client().Get(srv.URL + "/release/app/die")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Errorf("a truncated answer reached the client as complete")
	}
	resp, err = srv.Client().Get(srv.URL + "/release/app/ok")
	if err != nil {
		t.Fatalf("gateway stopped serving after an aborted answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "fine" {
		t.Errorf("second answer %q, want fine", body)
	}
	// Observe runs as the handler returns, which may be just after the
	// client got its bytes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(recs)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(recs) != 2 || recs[0].Err == nil || recs[1].Err != nil {
		t.Errorf("records %+v: want 2, only the first with an error", recs)
	}
	if len(fnErrs) != 2 || fnErrs[0] == nil || fnErrs[1] != nil {
		t.Errorf("fn returned %v to the backend; want an error for the aborted answer, then nil", fnErrs)
	}
}
