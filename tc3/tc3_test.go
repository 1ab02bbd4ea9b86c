package tc3

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The request the Go SDK (common v1.3.211) sent in the research capture
// (reference/tencent-cloud-api.md section 5), with its signature.
const (
	goldenBody = `{"FunctionName":"hello","Description":"first","Namespace":"default"}`
	goldenTS   = 1795629834
	goldenAuth = "TC3-HMAC-SHA256 Credential=AKIDlocal/2026-11-25/scf/tc3_request, SignedHeaders=content-type;host, Signature=e442d441ce4632d79055d5739e09e8e5b2f8cb37e485c1887fccb321dfc967dc"
)

func goldenRequest() Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-TC-Timestamp", strconv.Itoa(goldenTS))
	h.Set("Authorization", goldenAuth)
	return Request{Method: http.MethodPost, Host: "127.0.0.1:9001", Header: h, Body: []byte(goldenBody)}
}

func verifier(at time.Time) *Verifier {
	return &Verifier{Service: "scf", Keys: map[string]string{"AKIDlocal": "local-secret-key"}, Now: func() time.Time { return at }}
}

func TestVerifySDKCapture(t *testing.T) {
	v := verifier(time.Unix(goldenTS+30, 0))
	if err := v.Verify(goldenRequest()); err != nil {
		t.Fatalf("Verify of the SDK's own request: %v", err)
	}
	req := goldenRequest()
	if got := Sign(req, "scf", "AKIDlocal", "local-secret-key", time.Unix(goldenTS, 0)); got != goldenAuth {
		t.Errorf("Sign =\n%s\nwant\n%s", got, goldenAuth)
	}
}

func TestVerifyRejects(t *testing.T) {
	at := time.Unix(goldenTS, 0)
	tests := []struct {
		name   string
		mutate func(r *Request, v *Verifier)
		want   error
		msgHas string
	}{
		{"wrong key", func(_ *Request, v *Verifier) { v.Keys["AKIDlocal"] = "other" }, ErrSignature, "does not match"},
		{"unknown secret id", func(_ *Request, v *Verifier) { v.Keys = map[string]string{"AKIDother": "x"} }, ErrUnknownSecretID, "AKIDlocal"},
		{"body changed", func(r *Request, _ *Verifier) { r.Body = []byte(goldenBody + " ") }, ErrSignature, "does not match"},
		{"host changed", func(r *Request, _ *Verifier) { r.Host = "localhost:9001" }, ErrSignature, "does not match"},
		{"expired", func(_ *Request, v *Verifier) { v.Now = func() time.Time { return at.Add(5*time.Minute + time.Second) } }, ErrExpired, "5m0s"},
		{"from the future", func(_ *Request, v *Verifier) { v.Now = func() time.Time { return at.Add(-6 * time.Minute) } }, ErrExpired, "away"},
		{"missing authorization", func(r *Request, _ *Verifier) { r.Header.Del("Authorization") }, ErrSignature, "missing"},
		{"other algorithm", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", strings.Replace(goldenAuth, "TC3-HMAC-SHA256", "HmacSHA256", 1))
		}, ErrSignature, "must start with"},
		{"no credential", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 SignedHeaders=content-type;host, Signature=ab")
		}, ErrSignature, "Credential"},
		{"garbage part", func(r *Request, _ *Verifier) { r.Header.Set("Authorization", "TC3-HMAC-SHA256 nonsense") }, ErrSignature, "key=value"},
		{"short signature", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", goldenAuth[:len(goldenAuth)-2])
		}, ErrSignature, "hex digits"},
		{"missing timestamp", func(r *Request, _ *Verifier) { r.Header.Del("X-TC-Timestamp") }, ErrSignature, "X-TC-Timestamp"},
		{"bad timestamp", func(r *Request, _ *Verifier) { r.Header.Set("X-TC-Timestamp", "soon") }, ErrSignature, "Unix time"},
		{"date not the timestamp's", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", strings.Replace(goldenAuth, "2026-11-25", "2026-11-24", 1))
		}, ErrSignature, "UTC date"},
		{"other service", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", strings.Replace(goldenAuth, "/scf/", "/cvm/", 1))
		}, ErrSignature, `"cvm"`},
		{"host not signed", func(r *Request, _ *Verifier) {
			r.Header.Set("Authorization", strings.Replace(goldenAuth, "content-type;host", "content-type", 1))
		}, ErrSignature, "include host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := goldenRequest()
			v := verifier(at)
			tc.mutate(&req, v)
			err := v.Verify(req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("err %q does not mention %q", err, tc.msgHas)
			}
		})
	}
}

func TestVerifyVariants(t *testing.T) {
	at := time.Unix(goldenTS, 0)
	tests := []struct {
		name  string
		build func() Request
	}{
		{"tccli host with scheme, spaced json", func() Request {
			r := goldenRequest()
			r.Host = "http://127.0.0.1:9001"
			r.Body = []byte(`{"FunctionName": "hello"}`)
			return r
		}},
		{"unsigned payload", func() Request {
			r := goldenRequest()
			r.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
			r.Body = []byte("anything at all")
			return r
		}},
		{"GET signs the query", func() Request {
			r := goldenRequest()
			r.Method, r.Query, r.Body = http.MethodGet, "FunctionName=hello&Qualifier=1", nil
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.build()
			req.Header.Set("Authorization", Sign(req, "scf", "AKIDlocal", "local-secret-key", at))
			if err := verifier(at).Verify(req); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tc.name == "GET signs the query" {
				req.Query = "FunctionName=other"
				if err := verifier(at).Verify(req); !errors.Is(err, ErrSignature) {
					t.Errorf("changed query: err = %v, want ErrSignature", err)
				}
			}
		})
	}
}

func TestVerifyAcceptsLowercasedHeaderValues(t *testing.T) {
	at := time.Unix(goldenTS, 0)
	req := goldenRequest()
	req.Host = "LocalHost:9001"
	// Sign as the API documentation describes: values lowercased.
	lowered := req
	lowered.Host = strings.ToLower(req.Host)
	req.Header.Set("Authorization", Sign(lowered, "scf", "AKIDlocal", "local-secret-key", at))
	if err := verifier(at).Verify(req); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
