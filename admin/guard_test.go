package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/tc3"
)

const (
	testID  = "AKIDtest"
	testKey = "test-key"
)

// echo is the guarded handler: it reads the whole body, as the admin
// endpoints do, and answers 200 with its length.
type echo struct{ calls int }

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.calls++
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, strconv.Itoa(len(b)))
}

func newTestGuard(creds bool) *Guard {
	opts := Options{AdminAddr: "127.0.0.1:9001", Hosts: []string{"emu.test"}, MaxBody: 1 << 10, BodyBudget: 4 << 10}
	if creds {
		opts.Verifier = &tc3.Verifier{Service: "scf", Keys: map[string]string{testID: testKey}, Replay: tc3.NewReplay(0)}
	}
	return New(opts)
}

func request(method, target, host, body string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = host
	r.RemoteAddr = "127.0.0.1:40000"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func sign(r *http.Request, body string) {
	now := time.Now()
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	r.Header.Set("Authorization", tc3.Sign(tc3.FromHTTP(r, r.Host, []byte(body)), "scf", testID, testKey, now))
}

func TestGuard(t *testing.T) {
	json := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		name     string
		creds    bool
		req      func() *http.Request
		status   int
		code     string // platform code of a refusal
		envelope bool   // the cloud API's envelope
	}{
		{"loopback host", false, func() *http.Request { return request("GET", "/x", "127.0.0.7:9001", "", nil) }, 200, "", false},
		{"ipv6 loopback", false, func() *http.Request { return request("GET", "/x", "[::1]:9001", "", nil) }, 200, "", false},
		{"localhost with a dot", false, func() *http.Request { return request("GET", "/x", "LOCALHOST.:9001", "", nil) }, 200, "", false},
		{"an --admin-host name", false, func() *http.Request { return request("GET", "/x", "emu.test", "", nil) }, 200, "", false},
		{"foreign name", false, func() *http.Request { return request("GET", "/x", "evil.example", "", nil) }, 403, codeUnauthorized, false},
		{"foreign name, cloud API", false, func() *http.Request { return request("POST", "/", "evil.example", "{}", json) }, 403, codeUnauthorized, true},
		{"no host", false, func() *http.Request { return request("GET", "/x", "", "", nil) }, 403, codeUnauthorized, false},
		{"json POST", false, func() *http.Request { return request("POST", "/x", "localhost", "{}", json) }, 200, "", false},
		{"json with charset", false, func() *http.Request {
			return request("POST", "/x", "localhost", "{}", map[string]string{"Content-Type": "application/json; charset=utf-8"})
		}, 200, "", false},
		{"text/plain POST", false, func() *http.Request {
			return request("POST", "/x", "localhost", "{}", map[string]string{"Content-Type": "text/plain"})
		}, 415, codeContentType, false},
		{"text/plain cloud API answers 200", false, func() *http.Request {
			return request("POST", "/", "localhost", "{}", map[string]string{"Content-Type": "text/plain"})
		}, 200, codeContentType, true},
		{"v1 signature, form POST", false, func() *http.Request {
			return request("POST", "/", "localhost", "Action=ListFunctions&SignatureMethod=HmacSHA256&Signature=abc",
				map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}, 200, codeSignatureFailure, true},
		{"v1 signature, GET", true, func() *http.Request {
			return request("GET", "/?Action=ListFunctions&SignatureMethod=HmacSHA256&Signature=abc", "localhost", "", nil)
		}, 401, codeSignatureFailure, false},
		{"same origin", false, func() *http.Request {
			return request("POST", "/x", "localhost:9001", "{}", map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:9001", "Sec-Fetch-Site": "same-origin"})
		}, 200, "", false},
		{"other origin", false, func() *http.Request {
			return request("POST", "/x", "localhost:9001", "{}", map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:3000"})
		}, 403, codeUnauthorized, false},
		{"same-site is not same-origin", false, func() *http.Request {
			return request("POST", "/x", "localhost:9001", "{}", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"})
		}, 403, codeUnauthorized, false},
		{"cross-site script load of a log stream", false, func() *http.Request {
			return request("GET", "/emulator/logs?function=B&follow=1", "127.0.0.1:9001", "",
				map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"})
		}, 403, codeUnauthorized, false},
		{"same-site image (a gateway page)", false, func() *http.Request {
			return request("GET", "/emulator/functions/B", "127.0.0.1:9001", "",
				map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"})
		}, 403, codeUnauthorized, false},
		{"cross-site frame", false, func() *http.Request {
			return request("GET", "/", "127.0.0.1:9001", "",
				map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"})
		}, 403, codeUnauthorized, false},
		{"cross-site link to the dashboard", false, func() *http.Request {
			return request("GET", "/?token=x", "127.0.0.1:9001", "",
				map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
		}, 200, "", false},
		{"cross-site form navigation", false, func() *http.Request {
			return request("POST", "/emulator/rollouts", "127.0.0.1:9001", "{}",
				map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
		}, 403, codeUnauthorized, false},
		{"the dashboard's own fetch", false, func() *http.Request {
			return request("GET", "/emulator/logs?function=B", "127.0.0.1:9001", "",
				map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"})
		}, 200, "", false},
		{"the page needs no cookie", true, func() *http.Request { return request("GET", "/", "localhost", "", nil) }, 200, "", false},
		{"nor its assets", true, func() *http.Request { return request("HEAD", "/dashboard/app.js", "localhost", "", nil) }, 200, "", false},
		{"but its data does", true, func() *http.Request { return request("GET", "/emulator/overview", "localhost", "", nil) }, 401, codeInvalidAuth, false},
		{"body over the largest", false, func() *http.Request { return request("POST", "/x", "localhost", strings.Repeat("x", 2<<10), json) }, 413, codeTooLarge, false},
		{"unsigned read with credentials", true, func() *http.Request { return request("GET", "/x", "localhost", "", nil) }, 401, codeInvalidAuth, false},
		{"healthz stays open", true, func() *http.Request { return request("GET", "/healthz", "localhost", "", nil) }, 200, "", false},
		{"metrics closed by default", true, func() *http.Request { return request("GET", "/metrics", "localhost", "", nil) }, 401, codeInvalidAuth, false},
		{"cloud API checks its own signatures", true, func() *http.Request { return request("POST", "/", "localhost", "{}", json) }, 200, "", false},
		{"signed read", true, func() *http.Request {
			r := request("GET", "/emulator/logs?function=B", "localhost:9001", "", nil)
			sign(r, "")
			return r
		}, 200, "", false},
		{"signed POST keeps its body", true, func() *http.Request {
			r := request("POST", "/emulator/rollouts", "localhost:9001", `{"a":1}`, json)
			sign(r, `{"a":1}`)
			return r
		}, 200, "", false},
		{"signed POST with another body", true, func() *http.Request {
			r := request("POST", "/emulator/rollouts", "localhost:9001", `{"a":2}`, json)
			sign(r, `{"a":1}`)
			return r
		}, 401, codeSignatureFailure, false},
		{"wrong login token", true, func() *http.Request { return request("GET", "/?token=nope", "localhost", "", nil) }, 401, codeInvalidAuth, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, next := newTestGuard(tc.creds), &echo{}
			rec := httptest.NewRecorder()
			g.Wrap(next).ServeHTTP(rec, tc.req())
			if rec.Code != tc.status || gotCode(t, rec.Body.Bytes(), tc.envelope) != tc.code {
				t.Errorf("= %d %s, want %d %q", rec.Code, rec.Body, tc.status, tc.code)
			}
			if (tc.code == "") != (next.calls == 1) {
				t.Errorf("handler ran %d times for a %q answer", next.calls, tc.code)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q on every answer", k, got, v)
				}
			}
			if n := g.BodyBytesInUse(); n != 0 {
				t.Errorf("budget still holds %d bytes", n)
			}
		})
	}
}

// gotCode is the error code of an answer; "" for one the handler made.
func gotCode(t *testing.T, body []byte, envelope bool) string {
	t.Helper()
	var v struct {
		Code     string
		Response struct {
			Error     struct{ Code string }
			RequestId string
		}
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if envelope && v.Response.RequestId == "" {
		t.Errorf("cloud API refusal without RequestId: %s", body)
	}
	return v.Code + v.Response.Error.Code
}

func TestLogin(t *testing.T) {
	g := newTestGuard(true)
	h := g.Wrap(&echo{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, request("GET", "/?token="+g.LoginToken()+"&fn=B", "localhost", "", nil))
	res := rec.Result()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?fn=B" {
		t.Fatalf("login = %d to %q, want 303 to /?fn=B", res.StatusCode, res.Header.Get("Location"))
	}
	c := res.Cookies()
	// Not for /: cookies ignore ports, and the gateway on another port of
	// this host would hand the token to function code.
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/emulator/" {
		t.Fatalf("cookie = %+v, want one HttpOnly SameSite=Strict cookie for /emulator/", c)
	}
	r := request("GET", "/emulator/overview", "localhost", "", nil)
	r.AddCookie(c[0])
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Errorf("with the cookie: %d %s", rec.Code, rec.Body)
	}
}

// TestBudget: bodies being read share one budget; past it requests are
// refused at once, and a finished request gives its share back.
func TestBudget(t *testing.T) {
	b := &budget{total: 4 << 10, max: 1 << 10}
	var releases []func()
	for i := range 4 {
		rel, err := b.reserve(request("POST", "/x", "localhost", strings.Repeat("x", 1<<10), nil))
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		releases = append(releases, rel)
	}
	if _, err := b.reserve(request("POST", "/x", "localhost", "x", nil)); err == nil {
		t.Fatal("a fifth body fit in a full budget")
	}
	releases[0]()
	releases[0]() // twice gives back once
	if got := b.used(); got != 3<<10 {
		t.Errorf("used = %d, want %d", got, 3<<10)
	}
	chunked := request("POST", "/x", "localhost", "x", nil)
	chunked.ContentLength = -1
	if _, err := b.reserve(chunked); err != nil || b.used() != 4<<10 {
		t.Errorf("a body of unknown length reserves the largest: %v, used %d", err, b.used())
	}
}
