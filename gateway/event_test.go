package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/scferr"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestEventGolden pins the whole API Gateway event for a GET with repeated,
// valueless and escaped query keys, multi-valued headers and a client trying
// to spoof x-qualifier.
func TestEventGolden(t *testing.T) {
	fb := &fakeBackend{}
	g := newTestGateway(t, fb, grayscale(), Options{})
	sequentialIDs(g)

	r := httptest.NewRequest("GET", "/release/users/42?a=b&a=c&x=y&i&e=&sp=a+b%26c", nil)
	r.Host = "127.0.0.1:8080"
	r.RemoteAddr = "192.0.2.7:51234"
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Set("Accept", "*/*")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("X-Qualifier", "spoofed")
	r.Header.Set("Requestsource", "spoofed")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status = %d; body %s", w.Code, w.Body)
	}

	fb.mu.Lock()
	got := fb.events[0]
	fb.mu.Unlock()
	compareGolden(t, filepath.Join("testdata", "event_get.golden.json"), got)
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("event is not json: %v", err)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("event differs from %s (-want +got):\n-%s\n+%s", path, want, pretty.Bytes())
	}
}

func TestEventBody(t *testing.T) {
	binary := []byte{0xff, 0xfe, 0x00, 0x01, 'a'}
	tests := []struct {
		name       string
		body       []byte
		wantBody   any // nil: key absent
		wantBase64 bool
	}{
		{"empty body is omitted", nil, nil, false},
		{"utf-8 body is a string", []byte(`{"test":"body","ü":1}`), `{"test":"body","ü":1}`, false},
		{"binary body is base64", binary, base64.StdEncoding.EncodeToString(binary), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{}
			g := newTestGateway(t, fb, grayscale(), Options{})
			w := do(g, "POST", "/release/hello", bytes.NewReader(tc.body), nil)
			if w.Code != 200 {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
			ev := fb.lastEvent(t)
			body, present := ev["body"]
			if tc.wantBody == nil && present {
				t.Errorf("body = %v, want the key absent", body)
			}
			if tc.wantBody != nil && body != tc.wantBody {
				t.Errorf("body = %v, want %v", body, tc.wantBody)
			}
			if ev["isBase64Encoded"] != tc.wantBase64 {
				t.Errorf("isBase64Encoded = %v, want %v", ev["isBase64Encoded"], tc.wantBase64)
			}
			if tc.wantBase64 {
				dec, err := base64.StdEncoding.DecodeString(body.(string))
				if err != nil || !bytes.Equal(dec, tc.body) {
					t.Errorf("base64 body decodes to %v (%v), want %v", dec, err, tc.body)
				}
			}
		})
	}
}

// chunked hides the length so only reading reveals the size.
type chunked struct{ io.Reader }

func TestEventBodyTooLarge(t *testing.T) {
	tests := []struct {
		name string
		body io.Reader
	}{
		{"declared length", strings.NewReader("12345678901")},
		{"unknown length", chunked{strings.NewReader("12345678901")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{}
			g := newTestGateway(t, fb, grayscale(), Options{MaxBodyBytes: 10})
			sequentialIDs(g)
			w := do(g, "POST", "/release/hello", tc.body, nil)
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status = %d, want 413; body %s", w.Code, w.Body)
			}
			want := scferr.Body(scferr.Newf(scferr.ErrRequestTooLarge, nil, "request body is larger than the limit of 10 bytes"), "id-2")
			if got := w.Body.String(); got != string(want) {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got := w.Header().Get(hdrStatus); got != "406" {
				t.Errorf("%s = %q, want 406", hdrStatus, got)
			}
			if len(fb.events) != 0 {
				t.Errorf("Invoke was called for a body over the limit")
			}
		})
	}
	t.Run("exactly the limit passes", func(t *testing.T) {
		g := newTestGateway(t, &fakeBackend{}, grayscale(), Options{MaxBodyBytes: 10})
		if w := do(g, "POST", "/release/hello", chunked{strings.NewReader("1234567890")}, nil); w.Code != 200 {
			t.Errorf("status = %d, want 200", w.Code)
		}
	})
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw        string
		wantString map[string]any
		wantParams map[string]string
	}{
		{"", map[string]any{}, map[string]string{}},
		{"a=b", map[string]any{"a": "b"}, map[string]string{"a": "b"}},
		{"a=b&a=c&a=d", map[string]any{"a": []string{"b", "c", "d"}}, map[string]string{"a": "b"}},
		{"i", map[string]any{"i": true}, map[string]string{"i": ""}},
		{"e=", map[string]any{"e": ""}, map[string]string{"e": ""}},
		{"i&i=x", map[string]any{"i": []string{"", "x"}}, map[string]string{"i": ""}},
		{"k%20x=v%2Bw+z&&", map[string]any{"k x": "v+w z"}, map[string]string{"k x": "v+w z"}},
		{"bad=%zz", map[string]any{"bad": "%zz"}, map[string]string{"bad": "%zz"}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			qs, params := map[string]any{}, map[string]string{}
			parseQuery(tc.raw, qs, params)
			if !reflect.DeepEqual(qs, tc.wantString) {
				t.Errorf("queryString = %#v, want %#v", qs, tc.wantString)
			}
			if !reflect.DeepEqual(params, tc.wantParams) {
				t.Errorf("queryStringParameters = %#v, want %#v", params, tc.wantParams)
			}
		})
	}
}

func TestEventHTTPSScheme(t *testing.T) {
	fb := &fakeBackend{}
	g := newTestGateway(t, fb, grayscale(), Options{})
	r := httptest.NewRequest("GET", "https://a.localhost/release/hello", nil)
	g.ServeHTTP(httptest.NewRecorder(), r)
	h := fb.lastEvent(t)["headers"].(map[string]any)
	if h["x-api-scheme"] != "https" {
		t.Errorf("x-api-scheme = %v, want https", h["x-api-scheme"])
	}
}
