package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzGuard throws arbitrary headers and bodies at the guarded admin
// surface: nothing panics, every refusal is a well-formed answer, the
// handler runs only for requests every defence allows, and the budget is
// always given back.
func FuzzGuard(f *testing.F) {
	f.Add("POST", "/", "127.0.0.1:9001", "", "", "application/json", "", `{"FunctionName":"B"}`, true)
	f.Add("POST", "/emulator/rollouts", "rebind.attacker.example", "http://evil.example", "cross-site", "text/plain", "", "{}", false)
	f.Add("GET", "/emulator/logs?function=B", "localhost", "", "none", "", "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=content-type;host, Signature=00", "", true)
	f.Add("GET", "/?token=abc", "[::1]:9001", "null", "", "", "", "", true)
	f.Add("PUT", "/metrics", "http://127.0.0.1:9001", "http://127.0.0.1:9001", "same-origin", "application/json; charset=\"", "TC3", "x", false)
	f.Fuzz(func(t *testing.T, method, target, host, origin, site, ctype, auth, body string, creds bool) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") || len(method) == 0 || strings.ContainsAny(method, " \r\n\t") {
			return // not a request line net/http would parse
		}
		r, err := http.NewRequest(method, "http://127.0.0.1:9001"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Host, r.RemoteAddr = host, "127.0.0.1:40000"
		for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": site, "Content-Type": ctype, "Authorization": auth} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		g, next := newTestGuard(creds), &echo{}
		rec := httptest.NewRecorder()
		g.Wrap(next).ServeHTTP(rec, r)
		if n := g.BodyBytesInUse(); n != 0 {
			t.Fatalf("budget holds %d bytes after the request", n)
		}
		if next.calls == 0 {
			if rec.Code == http.StatusSeeOther {
				return // a login
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("refusal %d with Content-Type %q: %s", rec.Code, ct, rec.Body)
			}
			if gotCode(t, rec.Body.Bytes(), IsCloudAPI(r)) == "" {
				t.Fatalf("refusal %d without a code: %s", rec.Code, rec.Body)
			}
			return
		}
		if err := g.hosts.check(r); err != nil {
			t.Fatalf("handler ran for a refused Host %q", host)
		}
		if changesState(r) && checkSite(r) != nil {
			t.Fatalf("handler ran for a cross-site or non-JSON change: origin %q site %q type %q", origin, site, ctype)
		}
		if creds && !g.exempt(r) && auth == "" {
			t.Fatalf("handler ran unauthenticated for %s %s", method, target)
		}
	})
}
