//go:build unix

package samples

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// body is the JSON every event sample puts in its integration response body.
type body struct {
	Function *string `json:"function"`
	Version  *string `json:"version"`
	Runtime  string  `json:"runtime"`
	Message  string  `json:"message"`
	Path     *string `json:"path"`
	User     *string `json:"user"`
}

type integrationResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

func str(s string) *string { return &s }

func show(p *string) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *p)
}

// eventCase is one event sent to an event sample and what must come back.
type eventCase struct {
	name      string
	event     string
	wantError bool
	wantPath  *string
	wantUser  *string
}

func eventCases(t *testing.T) []eventCase {
	t.Helper()
	gw, err := os.ReadFile(filepath.Join("testdata", "apigw-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(gw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["queryString"] = map[string]any{"fail": "1"}
	failing, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return []eventCase{
		{name: "gateway event", event: string(gw), wantPath: str("/hello/x"), wantUser: str("Bob")},
		{name: "invoke without gateway", event: `{}`},
		{name: "fail=1", event: string(failing), wantError: true},
	}
}

// checkResponse decodes an integration response and checks its body.
func checkResponse(t *testing.T, raw []byte, tc eventCase, runtime, function, version, messagePrefix string) {
	t.Helper()
	var resp integrationResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("not an integration response: %s: %v", raw, err)
	}
	if resp.StatusCode != 200 || resp.IsBase64Encoded || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("integration response = %s", raw)
	}
	var got body
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatalf("body is not JSON: %q: %v", resp.Body, err)
	}
	if show(got.Function) != show(&function) || show(got.Version) != show(&version) || got.Runtime != runtime ||
		!strings.HasPrefix(got.Message, messagePrefix) || show(got.Path) != show(tc.wantPath) || show(got.User) != show(tc.wantUser) {
		t.Errorf("body = %s\nwant function %q version %q runtime %q message %q... path %s user %s",
			resp.Body, function, version, runtime, messagePrefix, show(tc.wantPath), show(tc.wantUser))
	}
}

func need(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s is not installed", tool)
	}
}

// command runs a sample in its own process group and kills the whole group
// when ctx ends, as the emulator does: a bootstrap's curl child would
// otherwise outlive it and hold the fake server's connection open.
func command(ctx context.Context, dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

const pythonHarness = `
import json, sys
sys.path.insert(0, sys.argv[1])
import index
ctx = {"function_version": "3", "function_name": "B", "request_id": "r-1", "memory_limit_in_mb": 128}
try:
    print(json.dumps(index.main_handler(json.loads(sys.argv[2]), ctx)))
except Exception as e:
    print(json.dumps({"raised": str(e)}))
`

const nodeHarness = `
const index = require(require('path').resolve(process.argv[1], 'index.js'));
const ctx = { function_version: '3', function_name: 'hello-node', request_id: 'r-1' };
index.main_handler(JSON.parse(process.argv[2]), ctx).then(
  (r) => console.log(JSON.stringify(r)),
  (e) => console.log(JSON.stringify({ raised: String(e) })));
`

func TestEventHandlers(t *testing.T) {
	langs := []struct {
		tool, dir, runtime, function, message string
		args                                  []string
	}{
		{tool: "python3", dir: "python-event", runtime: "python", function: "B", message: "hello from B",
			args: []string{"-B", "-c", pythonHarness}},
		{tool: "node", dir: "node-event", runtime: "node", function: "hello-node", message: "hello from node",
			args: []string{"-e", nodeHarness}},
	}
	for _, lang := range langs {
		t.Run(lang.runtime, func(t *testing.T) {
			need(t, lang.tool)
			for _, tc := range eventCases(t) {
				t.Run(tc.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					defer cancel()
					args := append(append([]string{}, lang.args...), lang.dir, tc.event)
					out, err := command(ctx, ".", []string{"SCF_FUNCTIONNAME=" + lang.function}, lang.tool, args...).Output()
					if err != nil {
						t.Fatalf("%s harness: %v: %s", lang.tool, err, out)
					}
					var raised struct{ Raised string }
					if err := json.Unmarshal(out, &raised); err == nil && raised.Raised != "" {
						if !tc.wantError {
							t.Fatalf("handler raised: %s", raised.Raised)
						}
						return
					}
					if tc.wantError {
						t.Fatalf("want an exception, got %s", out)
					}
					checkResponse(t, out, tc, lang.runtime, lang.function, "3", lang.message)
				})
			}
		})
	}
}

// TestMessageLine guards what scripts/demo-grayscale.sh rewrites: exactly one
// MESSAGE line per sample.
func TestMessageLine(t *testing.T) {
	tests := []struct {
		file string
		re   string
	}{
		{"python-event/index.py", `(?m)^MESSAGE = "[^"]*"$`},
		{"node-event/index.js", `(?m)^const MESSAGE = "[^"]*";$`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(regexp.MustCompile(tc.re).FindAll(src, -1)); n != 1 {
				t.Errorf("%d lines match %s, want exactly 1", n, tc.re)
			}
		})
	}
}

// fakeRuntimeAPI serves the SCF runtime API for one bootstrap process.
type fakeRuntimeAPI struct {
	ready   chan struct{}
	events  chan string
	results chan string   // "response <body>" or "error <body>"
	done    chan struct{} // closed when the test ends: long polls return
}

func (f *fakeRuntimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	switch r.Method + " " + r.URL.Path {
	case "POST /runtime/init/ready":
		close(f.ready)
	case "GET /runtime/invocation/next":
		select {
		case ev := <-f.events:
			w.Header().Set("request_id", "req-42")
			w.Header().Set("memory_limit_in_mb", "128")
			w.Header().Set("time_limit_in_ms", "3000")
			_, _ = io.WriteString(w, ev)
		case <-r.Context().Done():
		case <-f.done:
		}
	case "POST /runtime/invocation/response":
		f.results <- "response " + string(b)
	case "POST /runtime/invocation/error":
		f.results <- "error " + string(b)
	default:
		http.NotFound(w, r)
	}
}

func TestCustomRuntime(t *testing.T) {
	need(t, "curl")
	api := &fakeRuntimeAPI{ready: make(chan struct{}), events: make(chan string),
		results: make(chan string, 1), done: make(chan struct{})}
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer close(api.done)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	tmp := t.TempDir()
	cmd := command(ctx, "custom-runtime", []string{"SCF_RUNTIME_API=" + host, "SCF_RUNTIME_API_PORT=" + port,
		"SCF_FUNCTIONNAME=hello-custom", "SCF_FUNCTIONVERSION=5", "TMPDIR=" + tmp}, "./bootstrap")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("bootstrap output:\n%s", logs.String())
		}
	}()
	select {
	case <-api.ready:
	case <-ctx.Done():
		t.Fatal("bootstrap never called /runtime/init/ready")
	}

	for _, tc := range eventCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			select {
			case api.events <- tc.event:
			case <-ctx.Done():
				t.Fatal("bootstrap is not polling /runtime/invocation/next")
			}
			var res string
			select {
			case res = <-api.results:
			case <-ctx.Done():
				t.Fatal("no result posted")
			}
			kind, payload, _ := strings.Cut(res, " ")
			if tc.wantError {
				if kind != "error" || !strings.Contains(payload, "fail=1") {
					t.Fatalf("want an error post naming fail=1, got %s", res)
				}
				return
			}
			if kind != "response" {
				t.Fatalf("want a response post, got %s", res)
			}
			checkResponse(t, []byte(payload), tc, "bash", "hello-custom", "5", "hello from custom runtime")
		})
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("bootstrap should keep its files in one temp dir under TMPDIR, found %d entries", len(entries))
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestWebFunction(t *testing.T) {
	need(t, "python3")
	port := freePort(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cmd := command(ctx, "web-function", []string{"PORT=" + port, "BIND_HOST=127.0.0.1", "SCF_FUNCTIONNAME=hello-web"},
		"./scf_bootstrap")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()

	url := "http://127.0.0.1:" + port + "/web/deep/path?x=1"
	var resp *http.Response
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"a":1}`))
		req.Header.Set("X-Scf-Version", "2")
		req.Header.Set("X-Scf-Request-Id", "req-7")
		var err error
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("web function never answered on port %s: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	want := map[string]any{"function": "hello-web", "version": "2", "runtime": "web",
		"message": "hello from web", "path": "/web/deep/path", "requestId": "req-7"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (body %s)", k, got[k], v, raw)
		}
	}
}
