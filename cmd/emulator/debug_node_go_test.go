package main

import (
	"context"
	"debug/elf"
	"encoding/json"
	"net"
	"net/http"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/chromedp/remote"

	"github.com/scf-emulator/emulator/admin"
)

// pausedPastTimeout waits past the debugged function's 1 s timeout while the
// debugger holds it at a breakpoint, and fails if the request ended meanwhile.
func pausedPastTimeout(t *testing.T, status <-chan int) {
	t.Helper()
	time.Sleep(1500 * time.Millisecond)
	select {
	case code := <-status:
		t.Fatalf("request ended with %d while paused at the breakpoint", code)
	default:
	}
}

// expectOK waits for the request's status after the debugger resumed it.
func expectOK(t *testing.T, status <-chan int) {
	t.Helper()
	select {
	case code := <-status:
		if code != http.StatusOK {
			t.Fatalf("after resuming: status %d, want 200", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("no response after resuming")
	}
}

// remotePath maps a file in the user's source folder to the path the running
// code has, as the printed launch configuration's localRoot/remoteRoot do.
func remotePath(t *testing.T, s admin.DebugSession, local string) string {
	t.Helper()
	rel, err := filepath.Rel(s.Source, local)
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("%s is not under the source folder %s", local, s.Source)
	}
	return filepath.Join(s.CodeRoot, rel)
}

// cdp is a minimal Chrome DevTools Protocol client over the inspector's
// websocket: commands out, every message in on msgs.
type cdp struct {
	conn *remote.Conn
	id   int64
	msgs chan *cdproto.Message
}

func dialCDP(t *testing.T, host string, port int) *cdp {
	t.Helper()
	resp, err := http.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/json/list")
	if err != nil {
		t.Fatalf("inspector target list: %v", err)
	}
	defer resp.Body.Close()
	var targets []struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil || len(targets) != 1 {
		t.Fatalf("GET /json/list: %v %+v: want the one Node process", err, targets)
	}
	conn, err := remote.DialContext(t.Context(), targets[0].WebSocketDebuggerURL)
	if err != nil {
		t.Fatalf("dial %s: %v", targets[0].WebSocketDebuggerURL, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &cdp{conn: conn, msgs: make(chan *cdproto.Message, 256)}
	go func() {
		defer close(c.msgs)
		for {
			m := new(cdproto.Message)
			if err := conn.Read(context.WithoutCancel(t.Context()), m); err != nil {
				return
			}
			c.msgs <- m
		}
	}()
	return c
}

// call sends method with params and returns its result, skipping the events
// that come before it onto the returned slice.
func (c *cdp) call(t *testing.T, method string, params any) (json.RawMessage, []*cdproto.Message) {
	t.Helper()
	c.id++
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.conn.Write(t.Context(), &cdproto.Message{ID: c.id, Method: cdproto.MethodType(method), Params: b}); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	var events []*cdproto.Message
	for {
		m := c.await(t, 60*time.Second, method+" response", func(*cdproto.Message) bool { return true })
		if m.ID != c.id {
			events = append(events, m)
			continue
		}
		if m.Error != nil {
			t.Fatalf("%s: %v", method, m.Error)
		}
		return json.RawMessage(m.Result), events
	}
}

func (c *cdp) await(t *testing.T, limit time.Duration, what string, match func(*cdproto.Message) bool) *cdproto.Message {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				t.Fatalf("inspector hung up waiting for %s", what)
			}
			if match(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s within %v", what, limit)
		}
	}
}

// TestDebugNodeInspector attaches to Node's inspector over the Chrome
// DevTools Protocol, sets a breakpoint by the URL the printed configuration
// maps the user's index.js to, stops there on a request through the gateway,
// stays paused past the 1 s timeout and still gets a 200.
func TestDebugNodeInspector(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "docker" {
				needDockerImages(t)
			}
			testNodeInspector(t, rt)
		})
	}
}

func testNodeInspector(t *testing.T, rt string) {
	app, s := startDebugAppOn(t, "hello-node", rt)
	if s.Debugger != "inspector" || s.Port == 0 || (rt == "docker") != (s.CodeRoot == "/var/user") {
		t.Fatalf("session %+v on %s", s, rt)
	}
	launch := vscodeLaunch(s)["configurations"].([]any)[0].(map[string]any)
	if launch["localRoot"] != s.Source || launch["remoteRoot"] != s.CodeRoot {
		t.Fatalf("launch %v: want localRoot %s, remoteRoot %s", launch, s.Source, s.CodeRoot)
	}
	src := filepath.Join(s.Source, "index.js")
	line := sourceLine(t, src, "const body = {")
	url := "file://" + remotePath(t, s, src)

	t0 := time.Now()
	c := dialCDP(t, s.Host, s.Port)
	c.call(t, "Debugger.enable", map[string]any{})
	res, _ := c.call(t, "Debugger.setBreakpointByUrl", map[string]any{"url": url, "lineNumber": line - 1})
	var bp struct {
		BreakpointID string `json:"breakpointId"`
		Locations    []any  `json:"locations"`
	}
	if err := json.Unmarshal(res, &bp); err != nil || bp.BreakpointID == "" {
		t.Fatalf("setBreakpointByUrl %s: %s %v", url, res, err)
	}
	attached := time.Since(t0)

	sent := time.Now()
	status := asyncGet(t.Context(), app.GatewayURL()+"/dev/node")
	m := c.await(t, 60*time.Second, "Debugger.paused", func(m *cdproto.Message) bool { return m.Method == "Debugger.paused" })
	t.Logf("node inspector on %s: attach %v, request to stop at %s:%d %v", rt, attached, filepath.Base(src), line, time.Since(sent))
	// Node leaves the frames' url empty: the hit breakpoint names it.
	var paused struct {
		CallFrames []struct {
			Location struct {
				LineNumber int `json:"lineNumber"`
			} `json:"location"`
		} `json:"callFrames"`
		HitBreakpoints []string `json:"hitBreakpoints"`
	}
	if err := json.Unmarshal(m.Params, &paused); err != nil || len(paused.CallFrames) == 0 {
		t.Fatalf("Debugger.paused %s: %v", m.Params, err)
	}
	top := paused.CallFrames[0]
	if top.Location.LineNumber != line-1 || len(paused.HitBreakpoints) != 1 || paused.HitBreakpoints[0] != bp.BreakpointID {
		t.Fatalf("paused at line %d (hit %v), want %s:%d (breakpoint %s)", top.Location.LineNumber+1, paused.HitBreakpoints, url, line, bp.BreakpointID)
	}

	pausedPastTimeout(t, status)
	c.call(t, "Debugger.resume", map[string]any{})
	expectOK(t, status)
}

// delve speaks Delve's JSON-RPC API (version 2), as `dlv connect` and the
// editors' legacy adapters do.
type delve struct{ *rpc.Client }

// delveState is the part of Delve's api.DebuggerState the test reads.
type delveState struct {
	Running       bool
	Exited        bool `json:"exited"`
	CurrentThread *struct {
		File       string `json:"file"`
		Line       int    `json:"line"`
		Breakpoint *struct {
			ID int `json:"id"`
		} `json:"breakPoint"`
	} `json:"currentThread"`
}

func (d delve) command(name string) (delveState, error) {
	var out struct{ State delveState }
	err := d.Call("RPCServer.Command", map[string]any{"name": name}, &out)
	return out.State, err
}

// requireDelve skips when dlv is not installed (on Docker: a statically
// linked one), naming the install command.
func requireDelve(t *testing.T, static bool) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain to build the Go1 sample")
	}
	dlv, err := exec.LookPath("dlv")
	if err != nil {
		out, _ := exec.Command("go", "env", "GOPATH").Output()
		dlv = filepath.Join(filepath.SplitList(strings.TrimSpace(string(out)))[0], "bin", "dlv")
		if _, err := os.Stat(dlv); err != nil {
			t.Skip("no dlv: go install github.com/go-delve/delve/cmd/dlv@v1.27.2")
		}
	}
	if static {
		if f, err := elf.Open(dlv); err == nil {
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Skipf("%s is dynamically linked: CGO_ENABLED=0 go install github.com/go-delve/delve/cmd/dlv@v1.27.2", dlv)
				}
			}
		}
	}
}

// TestDebugGoDelve drives the Go1 sample under Delve: halt, a breakpoint at
// a line of the user's own main.go, continue, a request through the gateway,
// the continue returning at the breakpoint, a wait past the 1 s timeout,
// continue again, 200.
func TestDebugGoDelve(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			requireDelve(t, rt == "docker")
			if rt == "docker" {
				needDockerImages(t)
			}
			testGoDelve(t, rt)
		})
	}
}

func testGoDelve(t *testing.T, rt string) {
	app, s := startDebugAppOn(t, "hello-go", rt)
	if s.Debugger != "delve" || s.Port == 0 || (rt == "docker") != (s.CodeRoot == "/var/user") {
		t.Fatalf("session %+v on %s", s, rt)
	}
	src := filepath.Join(s.Source, "main.go")
	line := sourceLine(t, src, "body := responseBody{")

	t0 := time.Now()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := delve{jsonrpc.NewClient(conn)}
	t.Cleanup(func() { d.Close() })
	var st struct{ State delveState }
	if err := d.Call("RPCServer.State", map[string]any{"NonBlocking": true}, &st); err != nil {
		t.Fatalf("State: %v", err)
	}
	if st.State.Running { // --continue: a breakpoint is set on a halted target
		if _, err := d.command("halt"); err != nil {
			t.Fatalf("halt: %v", err)
		}
	}
	var bp struct {
		Breakpoint struct {
			ID   int    `json:"id"`
			File string `json:"file"`
			Line int    `json:"line"`
		}
	}
	if err := d.Call("RPCServer.CreateBreakpoint", map[string]any{"Breakpoint": map[string]any{"file": src, "line": line}}, &bp); err != nil {
		t.Fatalf("CreateBreakpoint %s:%d: %v", src, line, err)
	}
	if bp.Breakpoint.File != src || bp.Breakpoint.Line != line {
		t.Fatalf("breakpoint at %s:%d, want %s:%d", bp.Breakpoint.File, bp.Breakpoint.Line, src, line)
	}
	attached := time.Since(t0)
	hit := make(chan delveState, 1)
	go func() { // returns when the target stops
		st, err := d.command("continue")
		if err != nil {
			st.Exited = true
		}
		hit <- st
	}()

	sent := time.Now()
	status := asyncGet(t.Context(), app.GatewayURL()+"/dev/go")
	var stop delveState
	select {
	case stop = <-hit:
	case code := <-status:
		t.Fatalf("request ended with %d without stopping at the breakpoint", code)
	case <-time.After(time.Minute):
		t.Fatal("no stop at the breakpoint within 30s")
	}
	t.Logf("delve on %s: attach %v, request to stop at %s:%d %v", rt, attached, filepath.Base(src), line, time.Since(sent))
	th := stop.CurrentThread
	if stop.Exited || th == nil || th.Breakpoint == nil || th.Breakpoint.ID != bp.Breakpoint.ID || th.File != src || th.Line != line {
		t.Fatalf("stopped %+v, want breakpoint %d at %s:%d", th, bp.Breakpoint.ID, src, line)
	}

	pausedPastTimeout(t, status)
	go d.command("continue") // returns when the instance stops at the end of the test
	expectOK(t, status)
}
