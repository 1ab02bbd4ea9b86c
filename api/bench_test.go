package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func benchmarkAction(b *testing.B, action, body string) {
	srv := New(newFake(), Options{})
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-TC-Action", action)
		req.Header.Set("X-TC-Version", APIVersion)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), `"Error"`) {
			b.Fatalf("error answer: %s", rec.Body)
		}
	}
}

// BenchmarkGetFunction measures the envelope, decoding and encoding overhead
// of a typical read.
func BenchmarkGetFunction(b *testing.B) {
	benchmarkAction(b, "GetFunction", `{"FunctionName":"hello","Qualifier":"release"}`)
}

// BenchmarkInvoke measures the API's own cost around a (fake, instant) invocation.
func BenchmarkInvoke(b *testing.B) {
	benchmarkAction(b, "Invoke", `{"FunctionName":"hello","Qualifier":"release","ClientContext":"{\"k\":\"v\"}","RoutingKey":"{\"User\":\"Bob\"}","LogType":"Tail"}`)
}
