package gateway

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/reqlog"
)

// benchBackend answers instantly with a fixed integration response, so the
// benchmark measures the gateway alone.
type benchBackend struct{}

var benchAnswer = []byte(`{"isBase64Encoded":false,"statusCode":200,"headers":{"Content-Type":"application/json","Set-Cookie":["a=1","b=2"]},"body":"{\"ok\":true}"}`)

func (benchBackend) Resolve(_ context.Context, fn, q string, _ http.Header) (Target, error) {
	return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "2", Route: "weight", Type: TypeEvent, MemoryMB: 128, TimeoutSec: 3}, nil
}

func (benchBackend) Invoke(context.Context, Target, string, []byte) ([]byte, error) {
	return benchAnswer, nil
}

func (benchBackend) Serve(context.Context, Target, string, func(context.Context, string) error) error {
	return nil
}

// BenchmarkGatewayEvent measures the whole ServeHTTP hop of an event
// function call: routing, resolve, event encoding, integration response.
func BenchmarkGatewayEvent(b *testing.B) {
	g := New(benchBackend{}, Options{})
	defer g.Close()
	if err := g.SetServices(grayscale()); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/release/users/42?a=b&a=c&flag", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User", "Bob")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		g.ServeHTTP(w, r)
	}
}

// cannedUpstream is a web function reduced to its socket: it answers every
// request head it reads with the same short response, allocating nothing
// per request, so BenchmarkGatewayWeb counts the gateway's allocations.
func cannedUpstream(b testing.TB) string {
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n")
	return socketUpstream(b, func(c net.Conn, br *bufio.Reader) {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) == 2 { // the blank line ending a head
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
		}
	})
}

// socketUpstream listens on loopback and runs serve on each connection it
// accepts, until the test ends; it returns the address.
func socketUpstream(tb testing.TB, serve func(c net.Conn, br *bufio.Reader)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return l.Addr().String()
}

// webHop is a gateway in front of a canned upstream, and a warm request.
func webHop(tb testing.TB) (*Gateway, *http.Request) { return webHopWith(tb, Options{}) }

// webHopWith is webHop with the gateway's options.
func webHopWith(tb testing.TB, opts Options) (*Gateway, *http.Request) {
	addr := cannedUpstream(tb)
	be := &fakeBackend{
		ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
			return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "3", Route: "weight",
				Type: TypeHTTP, MemoryMB: 128, TimeoutSec: 3}, nil
		},
		ServeFn: func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
			return fn(ctx, addr)
		},
	}
	g := New(be, opts)
	tb.Cleanup(func() { _ = g.Close() })
	if err := g.SetServices(webServices()); err != nil {
		tb.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/release/app/x?a=b", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "*/*")
	return g, r
}

// BenchmarkGatewayWeb measures the gateway's whole hop for a web function
// (routing, resolve, the pooled-connection proxy path, the answer copy)
// against a canned upstream, one request at a time; allocs/op is the
// gateway's per-request allocation count.
func BenchmarkGatewayWeb(b *testing.B) {
	g, r := webHop(b)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		g.ServeHTTP(w, r)
	}
}

// webHopAllocBudget is the most allocations a warm GET through the web
// hop may make (13 when it was set, after the answer head got its own
// parser instead of http.ReadResponse; 10 since the exchange holds its
// writer and proxy call: ids, the exchange, the backend's callback, the
// exchange's AfterFunc (three; on the gateway's own server none, see
// TestServerWebAllocationBudget), the answer head's copy and values; one
// spare); a change that adds per-request allocations must say so here.
const webHopAllocBudget = 11

// recordAllocs is what recording a request (emulator up's default) may add
// to the web hop: the path with its query, as replay sends it.
const recordAllocs = 1

func TestWebHopAllocationBudget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		budget int
	}{
		{"plain", Options{}, webHopAllocBudget},
		{"recording requests", Options{Recorder: reqlog.New(reqlog.DefaultPerFunction, diff.NewRedactor())}, webHopAllocBudget + recordAllocs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, r := webHopWith(t, tc.opts)
			w := &discardWriter{h: http.Header{}}
			g.ServeHTTP(w, r) // dial the upstream once
			n := testing.AllocsPerRun(200, func() {
				clear(w.h)
				g.ServeHTTP(w, r)
			})
			if n > float64(tc.budget) {
				t.Errorf("a warm web request allocates %.0f times, over the budget of %d", n, tc.budget)
			}
		})
	}
}

// BenchmarkGatewayWebRecorded is BenchmarkGatewayWeb with the request
// recorder on, as `emulator up` runs it by default: the difference is the
// recorder's cost per request.
func BenchmarkGatewayWebRecorded(b *testing.B) {
	g, r := webHopWith(b, Options{Recorder: reqlog.New(reqlog.DefaultPerFunction, diff.NewRedactor())})
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		g.ServeHTTP(w, r)
	}
}

// BenchmarkGatewayEventRecorded is BenchmarkGatewayEvent with the request
// recorder on.
func BenchmarkGatewayEventRecorded(b *testing.B) {
	g := New(benchBackend{}, Options{Recorder: reqlog.New(reqlog.DefaultPerFunction, diff.NewRedactor())})
	defer g.Close()
	if err := g.SetServices(grayscale()); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/release/users/42?a=b&a=c&flag", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User", "Bob")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		g.ServeHTTP(w, r)
	}
}

// serverWebAllocBudget is the most allocations a warm GET may make through
// the gateway's own server in front of the web hop, the way `emulator up`
// serves it, the backend's own not counted (the runtime's manager checks
// its budget, TestServeAllocationBudget): the request's head copy, its URL
// with the header values' room, its header map (two), its context and the
// copy of the request that carries it, the two ids, the exchange, the
// backend's callback, and the copy of the instance's answer head (12 when
// it was set, from 25 with context.WithCancel and context.AfterFunc per
// request; one spare).
const serverWebAllocBudget = 13

func TestServerWebAllocationBudget(t *testing.T) {
	g, _ := webHop(t)
	addr, _ := startServer(t, g)
	rc := newRawClient(t, addr, "/release/app/x?a=b")
	defer rc.c.Close()
	var status int
	var err error
	for range 10 { // dial the upstream, size the kept buffers
		if status, err = rc.do(); err != nil || status != 200 {
			t.Fatalf("status %d, err %v", status, err)
		}
	}
	n := testing.AllocsPerRun(200, func() {
		status, err = rc.do()
	})
	if err != nil || status != 200 {
		t.Fatalf("status %d, err %v", status, err)
	}
	if n > serverWebAllocBudget {
		t.Errorf("a warm web request through the server allocates %.1f times, over the budget of %d", n, serverWebAllocBudget)
	}
	t.Logf("%.1f allocations per request", n)
}
