package gateway

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
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
func cannedUpstream(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
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
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkGatewayWeb measures the gateway's whole hop for a web function
// (routing, resolve, the pooled-connection proxy path, the answer copy)
// against a canned upstream, one request at a time; allocs/op is the
// gateway's per-request allocation count.
func BenchmarkGatewayWeb(b *testing.B) {
	addr := cannedUpstream(b)
	be := &fakeBackend{
		ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
			return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "3", Route: "weight",
				Type: TypeHTTP, MemoryMB: 128, TimeoutSec: 3}, nil
		},
		ServeFn: func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
			return fn(ctx, addr)
		},
	}
	g := New(be, Options{})
	defer g.Close()
	if err := g.SetServices(webServices()); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/release/app/x?a=b", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "*/*")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		g.ServeHTTP(w, r)
	}
}
