package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDispatch sends arbitrary actions and bodies. Whatever arrives, the
// server must answer HTTP 200 with the JSON envelope and a RequestId, and
// never with InternalError: the fake returns no unexpected errors, so an
// InternalError here means a recovered panic or an encoding failure.
// Seeds: testdata/fuzz/FuzzDispatch.
func FuzzDispatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		srv := New(newFake(), Options{})
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-TC-Action", action)
		req.Header.Set("X-TC-Version", APIVersion)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)

		if rec.Code != http.StatusOK {
			t.Fatalf("status %d for %q %q", rec.Code, action, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var out struct {
			Response *struct {
				Error *struct {
					Code    string
					Message string
				}
				RequestId string
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON (%v): %s", err, rec.Body.Bytes())
		}
		if out.Response == nil || out.Response.RequestId == "" {
			t.Fatalf("answer has no Response.RequestId: %s", rec.Body.Bytes())
		}
		if e := out.Response.Error; e != nil && (e.Code == "" || e.Message == "" || e.Code == codeInternalError) {
			t.Fatalf("bad error for %q %q: %s", action, body, rec.Body.Bytes())
		}
	})
}
