package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/runtime/docker"
)

// pythonWithDebugpy puts a python3 that imports debugpy first in PATH, or
// skips naming what to install.
func pythonWithDebugpy(t *testing.T) {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import debugpy").Run() == nil {
			if filepath.IsAbs(py) {
				t.Setenv("PATH", filepath.Dir(py)+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			return
		}
	}
	t.Skip("no python3 imports debugpy: apt-get install python3-debugpy (or pip install debugpy)")
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDebugApp runs the test config on the process runtime with --debug for
// function on a free port.
func startDebugApp(t *testing.T, function string) (*App, admin.DebugSession) {
	return startDebugAppOn(t, function, "process")
}

// startDebugAppOn runs the test config on rt with --debug for function on a
// free port. Every debugged function gets B's 1 s timeout, so that a test can
// stay paused past it quickly.
func startDebugAppOn(t *testing.T, function, rt string) (*App, admin.DebugSession) {
	t.Helper()
	port := freePort(t)
	targets, err := parseDebugFlags([]string{function + "=" + strconv.Itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := workspace(t)
	if function != "B" {
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		head := "\n  " + function + ":\n"
		if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), head, head+"    timeout: 1\n", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{ConfigPath: cfgPath, Runtime: rt, GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: t.TempDir(), Seed: 7, IdleTimeout: time.Minute, MaxInstances: 8, Debug: targets})
	if err != nil {
		cancel()
		t.Fatalf("NewApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	resp, err := http.Get(app.AdminURL() + "/emulator/debug?function=" + function)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Sessions []admin.DebugSession }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Sessions) != 1 {
		t.Fatalf("GET /emulator/debug: %v %+v", err, out)
	}
	return app, out.Sessions[0]
}

// sourceLine is the 1-based line of the first line of file containing text.
func sourceLine(t *testing.T, file, text string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, text)
	return 0
}

// asyncGet sends GET url and delivers the status (or -1) on the channel.
func asyncGet(ctx context.Context, url string) <-chan int {
	ch := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

// dap is a minimal Debug Adapter Protocol client: requests out, every
// message in on msgs.
type dap struct {
	conn net.Conn
	seq  int
	msgs chan map[string]any
}

func dialDAP(t *testing.T, addr string) *dap {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &dap{conn: conn, msgs: make(chan map[string]any, 256)}
	go func() {
		defer close(d.msgs)
		r := bufio.NewReader(conn)
		for {
			n := 0
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
					n, _ = strconv.Atoi(strings.TrimSpace(v))
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				d.msgs <- m
			}
		}
	}()
	return d
}

func (d *dap) send(t *testing.T, command string, args any) int {
	t.Helper()
	d.seq++
	b, _ := json.Marshal(map[string]any{"seq": d.seq, "type": "request", "command": command, "arguments": args})
	if _, err := fmt.Fprintf(d.conn, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		t.Fatal(err)
	}
	return d.seq
}

// await returns the first message match accepts, within limit.
func (d *dap) await(t *testing.T, limit time.Duration, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-d.msgs:
			if !ok {
				t.Fatalf("debugger hung up waiting for %s", what)
			}
			if match(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s within %v", what, limit)
		}
	}
}

func isEvent(name string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "event" && m["event"] == name }
}

func isResponse(seq int) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "response" && m["request_seq"] == float64(seq) }
}

// TestDebugPythonDAP attaches to debugpy as VS Code does, with the mappings
// the emulator reports, stops at a breakpoint in the user's own source file,
// stays paused past the function's 1 s timeout and still gets a 200.
func TestDebugPythonDAP(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "docker" {
				needDebugpyImage(t)
			} else {
				pythonWithDebugpy(t)
			}
			testPythonDAP(t, rt)
		})
	}
}

// needDebugpyImage skips unless the image a Python function runs in on
// Docker has debugpy: SCF_EMULATOR_IMAGE_PYTHON's (trusted), or the
// emulator's Debian image built with python3-debugpy (its label says so).
func needDebugpyImage(t *testing.T) {
	t.Helper()
	needDockerImages(t)
	if os.Getenv("SCF_EMULATOR_IMAGE_PYTHON") != "" {
		return
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Skipf("no docker client: %v", err)
	}
	defer cli.Close()
	img, err := cli.ImageInspect(t.Context(), docker.DebianRuntimeImage)
	if err != nil || img.Config == nil || img.Config.Labels["scf-emulator.debugpy"] == "" {
		t.Skipf("%s has no debugpy: rebuild it with `go run ./cmd/emulator images --build --only debian --force`, or set SCF_EMULATOR_IMAGE_PYTHON to an image with debugpy", docker.DebianRuntimeImage)
	}
}

func testPythonDAP(t *testing.T, rt string) {
	app, s := startDebugAppOn(t, "B", rt)
	if s.Debugger != "debugpy" || s.Port == 0 || (rt == "docker") != (s.CodeRoot == "/var/user") {
		t.Fatalf("session %+v on %s", s, rt)
	}
	launch := vscodeLaunch(s)["configurations"].([]any)[0].(map[string]any)
	src := filepath.Join(s.Source, "index.py")
	line := sourceLine(t, src, "body = {")

	t0 := time.Now()
	d := dialDAP(t, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	init := d.send(t, "initialize", map[string]any{"adapterID": "debugpy", "clientID": "emulator-test", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true})
	d.await(t, 60*time.Second, "initialize response", isResponse(init))
	attach := d.send(t, "attach", map[string]any{"connect": launch["connect"], "pathMappings": launch["pathMappings"], "justMyCode": true})
	d.await(t, 60*time.Second, "initialized event", isEvent("initialized"))
	bp := d.send(t, "setBreakpoints", map[string]any{"source": map[string]any{"path": src}, "breakpoints": []map[string]any{{"line": line}}})
	d.await(t, 60*time.Second, "setBreakpoints response", isResponse(bp))
	d.send(t, "configurationDone", map[string]any{})
	d.await(t, 60*time.Second, "attach response", isResponse(attach))
	attached := time.Since(t0)

	sent := time.Now()
	status := asyncGet(t.Context(), app.GatewayURL()+"/dev/hello")
	stopped := d.await(t, 60*time.Second, "stopped event", isEvent("stopped"))
	t.Logf("debugpy: attach %v, request to stop at %s:%d %v", attached, filepath.Base(src), line, time.Since(sent))
	thread := stopped["body"].(map[string]any)["threadId"]
	st := d.send(t, "stackTrace", map[string]any{"threadId": thread, "levels": 1})
	frames := d.await(t, 60*time.Second, "stackTrace response", isResponse(st))["body"].(map[string]any)["stackFrames"].([]any)
	top := frames[0].(map[string]any)
	if p := top["source"].(map[string]any)["path"]; p != src || top["line"] != float64(line) {
		t.Fatalf("stopped at %v:%v, want the user's own %s:%d", p, top["line"], src, line)
	}

	time.Sleep(1500 * time.Millisecond) // past B's 1 s timeout, paused
	select {
	case code := <-status:
		t.Fatalf("request ended with %d while paused at the breakpoint", code)
	default:
	}
	d.send(t, "continue", map[string]any{"threadId": thread})
	select {
	case code := <-status:
		if code != http.StatusOK {
			t.Fatalf("after continue: status %d, want 200", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("no response after continue")
	}
	if st := app.mgr.Stats(); len(st) != 1 || st[0].Spec.DebugPort != s.Port || st[0].Live != 1 {
		t.Fatalf("pools %+v: want the one debugged instance", st)
	}
}
