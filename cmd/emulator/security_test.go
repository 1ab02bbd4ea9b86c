package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/tc3"
)

// The security suite: one row per attack of issue 12 on the admin address
// (each would succeed without its defence), then rows showing that what
// legitimately uses the address still works.

const (
	secID  = "AKIDsecurity"
	secKey = "security-key"
)

// secApp serves the one-function config with B published as version 1.
func secApp(t *testing.T, mod func(*AppConfig)) *App {
	t.Helper()
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ac := AppConfig{ConfigPath: cfg, Runtime: testRuntime(), GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: t.TempDir(), IdleTimeout: time.Minute, MaxInstances: 2}
	if mod != nil {
		mod(&ac)
	}
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, ac)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if _, err := app.reg.Publish(ctx, "B", "v1"); err != nil {
		t.Fatal(err)
	}
	return app
}

func withCreds(c *AppConfig) { c.SecretID, c.SecretKey = secID, secKey }

// reply is an HTTP answer reduced to what the rows check.
type reply struct {
	status int
	header http.Header
	body   string
}

// code is the platform error code of a cloud API or emulator answer.
func (r reply) code() string {
	var v struct {
		Code     string `json:"code"`
		Response struct{ Error struct{ Code string } }
	}
	_ = json.Unmarshal([]byte(r.body), &v)
	return v.Code + v.Response.Error.Code
}

// send makes one request; host, when set, replaces the Host header.
func send(t *testing.T, c *http.Client, method, url, host, body string, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func cloudHeaders(action string) map[string]string {
	return map[string]string{"X-TC-Action": action, "X-TC-Version": "2018-04-16", "Content-Type": "application/json"}
}

// clientFrom dials from another loopback address: a second machine on a
// shared network, as far as the server can tell.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// capture keeps the last request the SDK sent, as a sniffer on the network would.
type capture struct {
	mu     sync.Mutex // guards header and body
	header http.Header
	body   []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	c.mu.Lock()
	c.header, c.body = r.Header.Clone(), b
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func signedSDK(t *testing.T, app *App, rt http.RoundTripper) *scf.Client {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(app.AdminURL(), "http://")
	cpf.HttpProfile.Scheme = "http"
	c, err := scf.NewClient(common.NewCredential(secID, secKey), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	if rt != nil {
		c.WithHttpTransport(rt)
	}
	return c
}

func TestSecurityAttacks(t *testing.T) {
	open := secApp(t, nil)
	locked := secApp(t, withCreds)
	openHost := strings.TrimPrefix(open.AdminURL(), "http://")

	t.Run("1 cross-site text/plain POST to /emulator/rollouts", func(t *testing.T) {
		plan := `{"function":"B","alias":"release","to":"1","schedule":"AllAtOnce"}`
		for _, hdr := range []map[string]string{
			{"Content-Type": "text/plain", "Origin": "http://evil.example"},
			{"Content-Type": "text/plain"}, // a no-CORS fetch may drop Origin; the type alone is refused
			{"Content-Type": "application/json", "Origin": "http://evil.example"},
			{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
		} {
			r := send(t, nil, http.MethodPost, open.AdminURL()+"/emulator/rollouts", "", plan, hdr)
			if r.status != http.StatusForbidden && r.status != http.StatusUnsupportedMediaType {
				t.Errorf("%v: %d %s, want 403 or 415", hdr, r.status, r.body)
			}
		}
		form := send(t, nil, http.MethodPost, open.AdminURL()+"/", "", `{"FunctionName":"B"}`,
			map[string]string{"X-TC-Action": "DeleteFunction", "X-TC-Version": "2018-04-16", "Content-Type": "text/plain"})
		if form.code() != "InvalidParameter.ContentType" {
			t.Errorf("text/plain DeleteFunction: %d %s", form.status, form.body)
		}
		if al, _ := open.reg.Alias("B", "release"); al.FunctionVersion != "$LATEST" {
			t.Errorf("release moved to %s", al.FunctionVersion)
		}
		if _, err := open.reg.Function("B"); err != nil {
			t.Errorf("B is gone: %v", err)
		}
	})

	t.Run("2 DNS-rebinding Host to the cloud API", func(t *testing.T) {
		for _, host := range []string{"rebind.attacker.example:" + strings.Split(openHost, ":")[1], "attacker.example", "0.0.0.0"} {
			r := send(t, nil, http.MethodPost, open.AdminURL()+"/", host, `{}`, cloudHeaders("ListFunctions"))
			if r.status != http.StatusForbidden || r.code() != "AuthFailure.UnauthorizedOperation" || strings.Contains(r.body, `"Functions"`) {
				t.Errorf("Host %s: %d %s, want 403 AuthFailure.UnauthorizedOperation", host, r.status, r.body)
			}
		}
		for _, path := range []string{"/emulator/logs?function=B", "/metrics", "/"} {
			if r := send(t, nil, http.MethodGet, open.AdminURL()+path, "attacker.example", "", nil); r.status != http.StatusForbidden {
				t.Errorf("GET %s with a foreign Host: %d, want 403", path, r.status)
			}
		}
	})

	t.Run("3 replayed signature as another action", func(t *testing.T) {
		cap := &capture{}
		if _, err := signedSDK(t, locked, cap).GetFunction(&scf.GetFunctionRequest{FunctionName: common.StringPtr("B")}); err != nil {
			t.Fatal(err)
		}
		cap.mu.Lock()
		hdr, body := cap.header, string(cap.body)
		cap.mu.Unlock()
		replay := map[string]string{}
		for k := range hdr {
			replay[k] = hdr.Get(k)
		}
		replay["X-TC-Action"] = "DeleteFunction"
		r := send(t, clientFrom("127.0.0.2"), http.MethodPost, locked.AdminURL()+"/", "", body, replay)
		if r.code() != "AuthFailure.SignatureFailure" {
			t.Errorf("replay as DeleteFunction from another address: %s, want AuthFailure.SignatureFailure", r.body)
		}
		if _, err := locked.reg.Function("B"); err != nil {
			t.Errorf("B was deleted: %v", err)
		}
	})

	t.Run("4 unsigned reads with credentials set", func(t *testing.T) {
		for _, path := range []string{"/emulator/logs?function=B", "/emulator/stats?function=B", "/metrics",
			"/emulator/overview", "/emulator/functions/B", "/emulator/rollouts?function=B", "/emulator/routes?function=B"} {
			r := send(t, nil, http.MethodGet, locked.AdminURL()+path, "", "", nil)
			if r.status != http.StatusUnauthorized || r.code() != "AuthFailure.InvalidAuthorization" {
				t.Errorf("unsigned GET %s: %d %s, want 401", path, r.status, r.body)
			}
		}
		// The page is the same for everyone (its data is what needs the
		// login), and it comes without the cookie: see TestHostileBrowser.
		if r := send(t, nil, http.MethodGet, locked.AdminURL()+"/", "", "", nil); r.status != http.StatusOK || strings.Contains(r.body, `"B"`) {
			t.Errorf("GET / without the cookie: %d, want the bare page", r.status)
		}
		if r := send(t, nil, http.MethodGet, locked.AdminURL()+"/?token=guess", "", "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("login with a wrong token: %d", r.status)
		}
		if r := send(t, nil, http.MethodGet, locked.AdminURL()+"/healthz", "", "", nil); r.status != http.StatusOK {
			t.Errorf("/healthz: %d, want it open", r.status)
		}
	})

	t.Run("body budget", func(t *testing.T) {
		// Four stalled uploads of the largest body hold the whole budget.
		for range admin.DefaultBodyBudget / admin.DefaultMaxBody {
			c, err := net.Dial("tcp", openHost)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-TC-Action: ListFunctions\r\n"+
				"X-TC-Version: 2018-04-16\r\nContent-Length: %d\r\n\r\n{", openHost, admin.DefaultMaxBody)
		}
		eventually(t, 30*time.Second, "the stalled bodies to hold the budget", func() bool {
			return open.guard.BodyBytesInUse() == admin.DefaultBodyBudget
		})
		sdk := sdkClient(t, open)
		if _, err := sdk.ListFunctions(scf.NewListFunctionsRequest()); sdkCode(err) != "RequestLimitExceeded" {
			t.Errorf("a call past the budget: %v, want RequestLimitExceeded", err)
		}
		if r := send(t, nil, http.MethodPost, open.AdminURL()+"/emulator/rollouts", "", `{}`,
			map[string]string{"Content-Type": "application/json"}); r.status != http.StatusTooManyRequests {
			t.Errorf("a rollout past the budget: %d %s, want 429", r.status, r.body)
		}
		// One body larger than any endpoint takes is refused unread.
		c, err := net.Dial("tcp", openHost)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-TC-Action: ListFunctions\r\n"+
			"X-TC-Version: 2018-04-16\r\nContent-Length: %d\r\n\r\n", openHost, 50<<20)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if r := (reply{resp.StatusCode, resp.Header, string(b)}); r.code() != "InvalidParameter.RequestTooLarge" {
			t.Errorf("a 50 MB body: %d %s", r.status, r.body)
		}
	})
	t.Run("budget is given back", func(t *testing.T) {
		// The stalled connections of the row above are closed by now.
		eventually(t, 30*time.Second, "the budget to be free", func() bool { return open.guard.BodyBytesInUse() == 0 })
		if _, err := sdkClient(t, open).ListFunctions(scf.NewListFunctionsRequest()); err != nil {
			t.Errorf("ListFunctions after the uploads ended: %v", err)
		}
	})
}

func TestSecurityLegitimateUse(t *testing.T) {
	open := secApp(t, nil)
	locked := secApp(t, func(c *AppConfig) {
		withCreds(c)
		c.MetricsPublic = true
		c.AdminHosts = []string{"emulator.test"}
	})
	lockedHost := strings.TrimPrefix(locked.AdminURL(), "http://")

	t.Run("official SDK with signatures, and a retry of the same call", func(t *testing.T) {
		cap := &capture{}
		sdk := signedSDK(t, locked, cap)
		fn := &scf.GetFunctionRequest{FunctionName: common.StringPtr("B")}
		if _, err := sdk.GetFunction(fn); err != nil {
			t.Fatal(err)
		}
		// Same body at once: often the very same signature, from the same client.
		lv := scf.NewListVersionByFunctionRequest()
		lv.FunctionName = common.StringPtr("B")
		if _, err := sdk.ListVersionByFunction(lv); err != nil {
			t.Errorf("ListVersionByFunction right after GetFunction: %v", err)
		}
		if _, err := sdk.GetFunction(fn); err != nil {
			t.Errorf("GetFunction again: %v", err)
		}
		cap.mu.Lock()
		hdr, body := cap.header, string(cap.body)
		cap.mu.Unlock()
		again := map[string]string{}
		for k := range hdr {
			again[k] = hdr.Get(k)
		}
		if r := send(t, nil, http.MethodPost, locked.AdminURL()+"/", "", body, again); r.code() != "" || !strings.Contains(r.body, `"FunctionName":"B"`) {
			t.Errorf("the same signed request resent (a retry): %s", r.body)
		}
	})

	t.Run("tccli Host header", func(t *testing.T) {
		c, err := net.Dial("tcp", lockedHost)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		body := `{"FunctionName": "B"}`
		h := http.Header{"Content-Type": {"application/json"}}
		now := time.Now()
		auth := tc3.Sign(tc3.Request{Method: http.MethodPost, Host: "http://" + lockedHost, Header: h, Body: []byte(body)}, "scf", secID, secKey, now)
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: http://%s\r\nContent-Type: application/json\r\nX-TC-Action: GetFunction\r\n"+
			"X-TC-Version: 2018-04-16\r\nX-TC-Timestamp: %d\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s",
			lockedHost, now.Unix(), auth, len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if r := (reply{resp.StatusCode, resp.Header, string(b)}); r.status != 200 || r.code() != "" || !strings.Contains(r.body, `"FunctionName":"B"`) {
			t.Errorf("tccli-style call: %d %s", r.status, r.body)
		}
	})

	t.Run("dashboard with the login cookie", func(t *testing.T) {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		login := send(t, noFollow, http.MethodGet, locked.LoginURL(), "", "", nil)
		cookie := login.header.Get("Set-Cookie")
		if login.status != http.StatusSeeOther || login.header.Get("Location") != "/" ||
			!strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
			t.Errorf("login: %d Location %q Set-Cookie %q, want 303 to / with an HttpOnly SameSite=Strict cookie",
				login.status, login.header.Get("Location"), cookie)
		}
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		if r := send(t, browser, http.MethodGet, locked.LoginURL(), "", "", nil); r.status != 200 || !strings.Contains(r.body, "/dashboard/app.js") {
			t.Errorf("the page after login: %d", r.status)
		}
		for _, path := range []string{"/emulator/overview", "/emulator/functions/B", "/emulator/logs?function=B"} {
			if r := send(t, browser, http.MethodGet, locked.AdminURL()+path, "", "", nil); r.status != 200 {
				t.Errorf("GET %s with the cookie: %d %s", path, r.status, r.body)
			}
		}
	})

	t.Run("dashboard edit from its own page", func(t *testing.T) {
		hdr := cloudHeaders("UpdateAlias")
		hdr["Origin"], hdr["Sec-Fetch-Site"] = open.AdminURL(), "same-origin"
		r := send(t, nil, http.MethodPost, open.AdminURL()+"/", "", `{"FunctionName":"B","Name":"release","FunctionVersion":"1"}`, hdr)
		if r.code() != "" {
			t.Errorf("same-origin UpdateAlias: %s", r.body)
		}
		if al, _ := open.reg.Alias("B", "release"); al.FunctionVersion != "1" {
			t.Errorf("release = %s, want 1", al.FunctionVersion)
		}
	})

	t.Run("Prometheus scrape with --metrics-public", func(t *testing.T) {
		r := send(t, nil, http.MethodGet, locked.AdminURL()+"/metrics", "", "", nil)
		if r.status != 200 || !strings.Contains(r.body, "# TYPE") {
			t.Errorf("unsigned /metrics: %d", r.status)
		}
		if r := send(t, nil, http.MethodGet, locked.AdminURL()+"/emulator/stats?function=B", "", "", nil); r.status != 401 {
			t.Errorf("stats stay closed: %d", r.status)
		}
	})

	t.Run("CLI observe commands with credentials", func(t *testing.T) {
		t.Setenv("TENCENTCLOUD_SECRET_ID", secID)
		t.Setenv("TENCENTCLOUD_SECRET_KEY", secKey)
		for _, args := range [][]string{{"stats", "B"}, {"logs", "B"}} {
			if code, out, errOut := runCLI(t, append(args, "--endpoint", locked.AdminURL())...); code != 0 {
				t.Errorf("%v: exit %d %s %s", args, code, out, errOut)
			}
		}
		t.Setenv("TENCENTCLOUD_SECRET_KEY", "wrong")
		if code, _, errOut := runCLI(t, "stats", "B", "--endpoint", locked.AdminURL()); code != 1 || !strings.Contains(errOut, "401") {
			t.Errorf("stats with a wrong key: exit %d %s", code, errOut)
		}
	})

	t.Run("a name given with --admin-host", func(t *testing.T) {
		port := strings.Split(lockedHost, ":")[1]
		for host, want := range map[string]int{"emulator.test:" + port: 200, "localhost:" + port: 200, "app.localhost": 200, "other.test": 403} {
			if r := send(t, nil, http.MethodGet, locked.AdminURL()+"/healthz", host, "", nil); r.status != want {
				t.Errorf("Host %s: %d, want %d", host, r.status, want)
			}
		}
	})
}
