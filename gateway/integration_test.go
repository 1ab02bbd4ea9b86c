package gateway

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func TestIntegrationResponse(t *testing.T) {
	const invalid = `{"errno":403,"error":"Invalid scf response format. please check your scf response format."}`
	tests := []struct {
		name        string
		answer      string
		wantStatus  int
		wantHeaders map[string][]string // checked when set
		wantBody    string
	}{
		{name: "plain", answer: `{"isBase64Encoded":false,"statusCode":200,"headers":{"Content-Type":"text/html"},"body":"<html>hi</html>"}`,
			wantStatus: 200, wantHeaders: map[string][]string{"Content-Type": {"text/html"}}, wantBody: "<html>hi</html>"},
		{name: "status only", answer: `{"statusCode":204}`, wantStatus: 204, wantBody: ""},
		{name: "other status", answer: `{"statusCode":418,"body":"teapot"}`, wantStatus: 418, wantBody: "teapot"},
		{name: "list header", answer: `{"statusCode":200,"headers":{"set-cookie":["a=1","b=2"],"X-One":"1"},"body":"x"}`,
			wantStatus: 200, wantHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "X-One": {"1"}}, wantBody: "x"},
		{name: "base64 body", answer: `{"isBase64Encoded":true,"statusCode":200,"headers":{"Content-Type":"application/octet-stream"},"body":"/+4AAQ=="}`,
			wantStatus: 200, wantBody: "\xff\xee\x00\x01"},
		{name: "null fields are absent", answer: `{"statusCode":200,"headers":null,"body":null,"isBase64Encoded":null}`, wantStatus: 200},
		{name: "extra keys ignored", answer: `{"statusCode":201,"body":"ok","extra":{"a":1}}`, wantStatus: 201, wantBody: "ok"},
		{name: "gateway headers win", answer: `{"statusCode":200,"headers":{"X-Scf-Version":"999","Content-Length":"99"},"body":"abc"}`,
			wantStatus: 200, wantHeaders: map[string][]string{"X-Scf-Version": {"1"}, "Content-Length": {"3"}}, wantBody: "abc"},

		{name: "not an object", answer: `"hello"`, wantStatus: 403, wantBody: invalid},
		{name: "array", answer: `[1,2]`, wantStatus: 403, wantBody: invalid},
		{name: "null", answer: `null`, wantStatus: 403, wantBody: invalid},
		{name: "not json", answer: `hello`, wantStatus: 403, wantBody: invalid},
		{name: "missing statusCode", answer: `{"body":"x"}`, wantStatus: 403, wantBody: invalid},
		{name: "string statusCode", answer: `{"statusCode":"200"}`, wantStatus: 403, wantBody: invalid},
		{name: "float statusCode", answer: `{"statusCode":200.5}`, wantStatus: 403, wantBody: invalid},
		{name: "exponent statusCode", answer: `{"statusCode":2e2}`, wantStatus: 403, wantBody: invalid},
		{name: "statusCode out of range", answer: `{"statusCode":42}`, wantStatus: 403, wantBody: invalid},
		{name: "isBase64Encoded string", answer: `{"statusCode":200,"isBase64Encoded":"true","body":"eA=="}`, wantStatus: 403, wantBody: invalid},
		{name: "body object", answer: `{"statusCode":200,"body":{"a":1}}`, wantStatus: 403, wantBody: invalid},
		{name: "headers list", answer: `{"statusCode":200,"headers":["a"]}`, wantStatus: 403, wantBody: invalid},
		{name: "header number", answer: `{"statusCode":200,"headers":{"X-A":5}}`, wantStatus: 403, wantBody: invalid},
		{name: "header list of numbers", answer: `{"statusCode":200,"headers":{"X-A":[1]}}`, wantStatus: 403, wantBody: invalid},
		{name: "content-type list", answer: `{"statusCode":200,"headers":{"Content-Type":["a","b"]}}`, wantStatus: 403, wantBody: invalid},
		{name: "header name with space", answer: `{"statusCode":200,"headers":{"X A":"1"}}`, wantStatus: 403, wantBody: invalid},
		{name: "header value with newline", answer: `{"statusCode":200,"headers":{"X-A":"1\r\nX-B: 2"}}`, wantStatus: 403, wantBody: invalid},
		{name: "bad base64", answer: `{"statusCode":200,"isBase64Encoded":true,"body":"***"}`, wantStatus: 403, wantBody: invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) {
				return []byte(tc.answer), nil
			}}
			var rec Record
			g := newTestGateway(t, fb, grayscale(), Options{Observe: func(r Record) { rec = r }})
			w := do(g, "GET", "/release/hello", nil, nil)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %q", w.Code, tc.wantStatus, w.Body)
			}
			if got := w.Body.String(); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			for k, want := range tc.wantHeaders {
				if got := w.Header().Values(k); !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if got := w.Header().Get(hdrStatus); got != "200" {
				t.Errorf("%s = %q, want 200: the function itself succeeded", hdrStatus, got)
			}
			if tc.wantStatus == 403 && !errors.Is(rec.Err, ErrInvalidResponse) {
				t.Errorf("Record.Err = %v, want ErrInvalidResponse", rec.Err)
			}
		})
	}
}

func TestIntegrationHEAD(t *testing.T) {
	fb := &fakeBackend{InvokeFn: func(context.Context, Target, string, []byte) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"abc"}`), nil
	}}
	g := newTestGateway(t, fb, grayscale(), Options{})
	w := do(g, http.MethodHead, "/release/hello", nil, nil)
	if w.Code != 200 || w.Header().Get("Content-Length") != "3" {
		t.Errorf("HEAD: status %d, Content-Length %q; want 200 and 3", w.Code, w.Header().Get("Content-Length"))
	}
}
