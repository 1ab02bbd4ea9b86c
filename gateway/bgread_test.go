package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond, which looks at the server's live connections, until
// it holds; after 10 s it marks the test failed and returns false. It may
// run on a handler's goroutine.
func waitFor(t *testing.T, s *Server, what string, cond func(c *srvConn) bool) bool {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		ok := false
		for c := range s.conns {
			c.bg.mu.Lock()
			ok = ok || cond(c)
			c.bg.mu.Unlock()
		}
		s.mu.Unlock()
		if ok {
			return true
		}
	}
	t.Errorf("gave up waiting for %s", what)
	return false
}

// TestServerCancelsWhenClientLeaves: a client that closes its connection
// while its request runs cancels the request's context, with or without a
// request body, as net/http's server does.
func TestServerCancelsWhenClientLeaves(t *testing.T) {
	started := make(chan struct{}, 1)
	result := make(chan error, 1)
	addr, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			result <- r.Context().Err()
		case <-time.After(10 * time.Second):
			result <- errors.New("the request context was not cancelled")
		}
	}))
	for _, tc := range []struct{ name, req string }{
		{"no body", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"content-length body", "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"},
		{"chunked body", "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, tc.req)
			<-started
			c.Close()
			if err := <-result; !errors.Is(err, context.Canceled) {
				t.Errorf("handler saw %v, want context.Canceled", err)
			}
		})
	}
}

// TestServerPipelinedWhileRunning: the next request, sent while the first
// one runs and the background read watches the connection, neither cancels
// the first one nor loses its first byte.
func TestServerPipelinedWhileRunning(t *testing.T) {
	var s *Server
	ready := make(chan struct{})
	addr, s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			ok := waitFor(t, s, "the background read", func(c *srvConn) bool { return c.bg.running })
			close(ready)
			if ok {
				waitFor(t, s, "the pipelined byte", func(c *srvConn) bool { return c.cr.pending })
			}
			if err := r.Context().Err(); err != nil {
				t.Errorf("the first request's context ended (%v) when the second arrived", err)
			}
		}
		io.WriteString(w, "answer "+r.URL.Path)
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-ready
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	for _, want := range []string{"answer /slow", "answer /next"} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the answer %q: %v", want, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != want {
			t.Errorf("answer = %q, want %q", b, want)
		}
	}
}

// bothServers serve a handler on a loopback address, returned: net/http's
// server and the gateway's own, whose behaviour must agree.
var bothServers = []struct {
	name  string
	serve func(t *testing.T, h http.Handler) string
}{
	{"net/http server", func(t *testing.T, h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}},
	{"gateway server", func(t *testing.T, h http.Handler) string {
		addr, _ := startServer(t, h)
		return addr
	}},
}

// TestGatewayClientLeavesWebFunction: end to end, a client that leaves while
// a web function works stops the function's request (its connection to the
// gateway closes) and is recorded as abandoned, 499, on the gateway's own
// server as on net/http's.
func TestGatewayClientLeavesWebFunction(t *testing.T) {
	for _, tc := range bothServers {
		t.Run(tc.name, func(t *testing.T) {
			started, saw := make(chan struct{}), make(chan error, 1)
			fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				select {
				case <-r.Context().Done():
					saw <- r.Context().Err()
				case <-time.After(10 * time.Second):
					saw <- errors.New("the function's request was not cancelled")
				}
			}))
			t.Cleanup(fn.Close)
			recs := make(chan Record, 1)
			g := newTestGateway(t, webBackend(fn.Listener.Addr().String()), webServices(),
				Options{Observe: func(r Record) { recs <- r }})
			addr := tc.serve(t, g)

			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /release/app/slow HTTP/1.1\r\nHost: h\r\n\r\n")
			<-started
			c.Close()
			if err := <-saw; !errors.Is(err, context.Canceled) {
				t.Errorf("the web function saw %v, want its request cancelled", err)
			}
			select {
			case rec := <-recs:
				if rec.Status != statusClientClosed || rec.SCFStatus != 499 || rec.Err == nil ||
					!strings.Contains(rec.Err.Error(), "canceled") {
					t.Errorf("record: status %d, scf status %d, err %v; want 499, 499, a cancellation",
						rec.Status, rec.SCFStatus, rec.Err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no record of the abandoned request")
			}
		})
	}
}
