package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The hostile-page suite: a real headless Chromium, logged in to the
// dashboard as the developer would be, visits pages an attacker controls:
// one served from another loopback origin (127.0.0.2), and one a
// function's own answer through the gateway. Each row fails without its
// defence.

// spyConfig adds function spy, which answers with the Cookie header the
// gateway gave it: function code is untrusted, and what it sees of the
// developer's browser it can keep.
const spyConfig = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
  spy:
    source: ./spy
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
services:
  A:
    stages: {release: release}
    apis:
      - {path: /hello, method: ANY, function: B}
      - {path: /spy, method: ANY, function: spy}
`

const spyCode = `def main_handler(event, context):
    headers = event.get("headers") or {}
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"},
            "body": "cookie=" + str(headers.get("cookie", ""))}
`

// hostileApp serves B (published as 1) and spy; creds turns on credentials.
func hostileApp(t *testing.T, creds bool) *App {
	t.Helper()
	return secApp(t, func(c *AppConfig) {
		if creds {
			withCreds(c)
		}
		dir := filepath.Dir(c.ConfigPath)
		if err := os.MkdirAll(filepath.Join(dir, "spy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "spy", "index.py"), []byte(spyCode), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.ConfigPath, []byte(spyConfig), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// hostileBrowser is a headless Chromium whose resolver maps rebind.test
// to 127.0.0.1: the end state of a DNS-rebinding attack.
func hostileBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium on PATH: the hostile-page tests need one (apt-get install chromium); .ci/run installs it")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP rebind.test 127.0.0.1"))
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// attackerSite serves page at / from 127.0.0.2, another origin and
// another site than the emulator's 127.0.0.1.
func attackerSite(t *testing.T, page string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String() + "/"
}

// pageText navigates to url and returns the text of its body.
func pageText(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	text, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	return text
}

func TestHostileBrowser(t *testing.T) {
	t.Run("login cookie never reaches function code", func(t *testing.T) {
		app := hostileApp(t, true)
		ctx := hostileBrowser(t)
		// Without the login the page loads (it holds nothing) and says so.
		pageText(t, ctx, app.AdminURL()+"/")
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.Poll[chromedp.Void](`document.getElementById('empty-text').textContent.startsWith('Not logged in')`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Errorf("the page without the login does not say so: %v", err)
		}
		pageText(t, ctx, app.LoginURL())
		token := app.guard.LoginToken()
		// The developer tries a function in the same browser: the gateway
		// is another port of the same host, and cookies ignore ports.
		got := pageText(t, ctx, app.GatewayURL()+"/release/spy")
		if !strings.HasPrefix(got, "cookie=") {
			t.Fatalf("spy answered %q", got)
		}
		if strings.Contains(got, token) {
			t.Errorf("function code saw the dashboard's login token: %q", got)
		}
		// The dashboard still reads its data with the cookie.
		text := pageText(t, ctx, app.AdminURL()+"/emulator/overview")
		if !strings.Contains(text, `"functions"`) {
			t.Errorf("the logged-in browser reads /emulator/overview as %q", text)
		}
	})

	t.Run("cross-site page learns nothing from the admin address", func(t *testing.T) {
		app := hostileApp(t, false)
		ctx := hostileBrowser(t)
		admin := app.AdminURL()
		// Each probe loads an admin URL as a script and an image and tells
		// which of load/error fired: a difference between a function that
		// exists and one that does not tells the page which functions the
		// developer has.
		page := attackerSite(t, fmt.Sprintf(`<!doctype html><body><script>
const admin = %q;
window.probe = (path) => Promise.all(['script', 'img', 'link'].map((tag) => new Promise((resolve) => {
  const e = document.createElement(tag);
  e.onload = () => resolve(tag + ':load');
  e.onerror = () => resolve(tag + ':error');
  if (tag === 'link') { e.rel = 'stylesheet'; e.href = admin + path; } else e.src = admin + path;
  document.body.append(e);
}))).then((r) => r.join(' '));
</script></body>`, admin))
		pageText(t, ctx, page)
		probe := func(path string) string {
			t.Helper()
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			got, err := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf(`window.probe(%q)`, path), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("probe %s: %v", path, err)
			}
			return got
		}
		for _, pair := range [][2]string{
			{"/emulator/functions/B", "/emulator/functions/nosuch"},
			{"/emulator/stats?function=B", "/emulator/stats?function=nosuch"},
			{"/emulator/logs?function=B", "/emulator/logs?function=nosuch"},
		} {
			if a, b := probe(pair[0]), probe(pair[1]); a != b {
				t.Errorf("a cross-site page tells %s (%s) from %s (%s)", pair[0], a, pair[1], b)
			}
		}
	})

	t.Run("cross-site forms, beacons and no-cors fetches change nothing", func(t *testing.T) {
		app := hostileApp(t, false)
		ctx := hostileBrowser(t)
		admin := app.AdminURL()
		plan := `{"function":"B","alias":"release","to":"1","schedule":"AllAtOnce"}`
		page := attackerSite(t, fmt.Sprintf(`<!doctype html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="%[1]s/emulator/rollouts" enctype="text/plain" target="sink">
<input name='%[2]s' value=''></form>
<script>
const admin = %[1]q, plan = %[2]q;
window.attack = async () => {
  navigator.sendBeacon(admin + '/emulator/rollouts', new Blob([plan], { type: 'text/plain' }));
  await fetch(admin + '/emulator/rollouts', { method: 'POST', mode: 'no-cors', body: plan, headers: { 'Content-Type': 'text/plain' } }).catch(() => {});
  await fetch(admin + '/', { method: 'POST', mode: 'no-cors', body: '{"FunctionName":"B"}' }).catch(() => {});
  try { await fetch(admin + '/emulator/rollouts', { method: 'POST', body: plan, headers: { 'Content-Type': 'application/json' } }); } catch {}
  document.getElementById('f').submit();
  await new Promise((r) => setTimeout(r, 500));
  return 'sent';
};
</script></body>`, admin, plan))
		pageText(t, ctx, page)
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.Evaluate[string](`window.attack()`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatal(err)
		}
		if al, _ := app.reg.Alias("B", "release"); al.FunctionVersion != "$LATEST" {
			t.Errorf("a hostile page moved release to %s", al.FunctionVersion)
		}
		if st := app.rollouts.List("B"); len(st) != 0 {
			t.Errorf("a hostile page started %d rollouts", len(st))
		}
	})

	t.Run("a rebound name is refused in the browser", func(t *testing.T) {
		app := hostileApp(t, false)
		ctx := hostileBrowser(t)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(app.AdminURL(), "http://"))
		text := pageText(t, ctx, "http://rebind.test:"+port+"/emulator/overview")
		if !strings.Contains(text, "AuthFailure.UnauthorizedOperation") || strings.Contains(text, `"functions"`) {
			t.Errorf("rebind.test read /emulator/overview: %q", text)
		}
	})

	t.Run("a rebound name cannot call functions through the gateway", func(t *testing.T) {
		app := hostileApp(t, false)
		ctx := hostileBrowser(t)
		// The developer's own ways in still answer.
		if got := pageText(t, ctx, app.GatewayURL()+"/release/spy"); !strings.HasPrefix(got, "cookie=") {
			t.Fatalf("the gateway by its address answered %q", got)
		}
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(app.GatewayURL(), "http://"))
		if got := pageText(t, ctx, "http://localhost:"+port+"/release/spy"); !strings.HasPrefix(got, "cookie=") {
			t.Fatalf("the gateway as localhost answered %q", got)
		}
		// A page whose name now resolves to 127.0.0.1 is same-origin with
		// what it loads from that name: it must not get the function.
		text := pageText(t, ctx, "http://rebind.test:"+port+"/release/spy")
		if strings.Contains(text, "cookie=") || !strings.Contains(text, "--gateway-host") {
			t.Errorf("rebind.test called a function through the gateway: %q", text)
		}
	})
}
