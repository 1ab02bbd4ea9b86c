package gateway

import (
	"context"
	"testing"
)

// TestPassThrough covers APIs whose integrated response is off: the
// function's return value is the body with status 200, whatever its shape,
// and the integrated APIs of the same service keep validating.
func TestPassThrough(t *testing.T) {
	tests := []struct {
		name, answer, wantBody, wantType string
	}{
		{"object", `{"message":"hi","n":1}`, `{"message":"hi","n":1}`, "application/json"},
		{"integration-shaped object stays as is", `{"statusCode":404,"body":"x"}`, `{"statusCode":404,"body":"x"}`, "application/json"},
		{"string", `"hello world"`, "hello world", "text/plain; charset=utf-8"},
		{"string holding json", `"{\"a\":[1,2]}"`, `{"a":[1,2]}`, "application/json"},
		{"list", `[1,2]`, `[1,2]`, "application/json"},
		{"number", `42`, `42`, "application/json"},
		{"null", `null`, `null`, "application/json"},
		// A custom runtime (Tencent's bash example) posts its answer as raw
		// text, not as a JSON string; it is sent as it came.
		{"raw text", "Echoing request: hello\n", "Echoing request: hello\n", "text/plain; charset=utf-8"},
		{"raw text that starts like json", `{"a":1} and more`, `{"a":1} and more`, "text/plain; charset=utf-8"},
		{"json with spaces around", " {\"a\":1}\n", `{"a":1}`, "application/json"},
	}
	svcs := []Service{{Name: "A", Stages: map[string]string{"release": "$DEFAULT"}, APIs: []API{
		{Path: "/raw", Method: "ANY", Function: "B", PassThrough: true},
		{Path: "/integrated", Method: "ANY", Function: "B"},
	}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) {
				return []byte(tc.answer), nil
			}}
			g := newTestGateway(t, fb, svcs, Options{})
			w := do(g, "GET", "/release/raw", nil, nil)
			if w.Code != 200 || w.Body.String() != tc.wantBody || w.Header().Get("Content-Type") != tc.wantType {
				t.Errorf("pass-through = %d %q (%s), want 200 %q (%s)", w.Code, w.Body, w.Header().Get("Content-Type"), tc.wantBody, tc.wantType)
			}
			if w.Header().Get(hdrVersion) == "" || w.Header().Get(hdrRequestID) == "" {
				t.Errorf("pass-through lacks the gateway's X-Scf-* headers: %v", w.Header())
			}
			w = do(g, "GET", "/release/integrated", nil, nil)
			if tc.name != "integration-shaped object stays as is" && w.Code != 403 {
				t.Errorf("integrated API = %d %q, want the 403 of a malformed integration response", w.Code, w.Body)
			}
		})
	}
}
