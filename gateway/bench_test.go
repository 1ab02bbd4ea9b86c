package gateway

import (
	"context"
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
