//go:build unix

package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// apiTestClient plays the function side of the runtime API.
type apiTestClient struct {
	t    *testing.T
	base string
}

func (c apiTestClient) do(method, path, body string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

func newAPITest(t *testing.T) (*apiServer, apiTestClient) {
	t.Helper()
	s, err := newAPIServer("127.0.0.1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s, apiTestClient{t: t, base: "http://127.0.0.1:" + s.port()}
}

// offer hands call to the server the way Invoke does.
func offer(t *testing.T, s *apiServer, call *apiCall) {
	t.Helper()
	go func() {
		select {
		case s.next <- call:
		case <-time.After(procTestTimeout):
		}
	}()
}

func TestAPIServerProtocol(t *testing.T) {
	s, c := newAPITest(t)
	select {
	case <-s.ready:
		t.Fatal("ready before /runtime/init/ready")
	default:
	}
	c.do(http.MethodPost, "/runtime/init/ready", " ")
	c.do(http.MethodPost, "/runtime/init/ready", " ") // repeats are harmless
	waitClosed(t, s.ready, "ready")

	call := newAPICall(Invocation{RequestID: "r1", Event: []byte(`{"a":1}`)}, 128, 3000)
	offer(t, s, call)
	resp, body := c.do(http.MethodGet, "/runtime/invocation/next", "")
	if body != `{"a":1}` {
		t.Errorf("event = %q", body)
	}
	for k, want := range map[string]string{"request_id": "r1", "memory_limit_in_mb": "128", "time_limit_in_ms": "3000"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// A repeated GET within the invocation gets the same event.
	resp, body = c.do(http.MethodGet, "/runtime/invocation/next", "")
	if body != `{"a":1}` || resp.Header.Get("request_id") != "r1" {
		t.Errorf("repeated next = %q %v, want the same event", body, resp.Header)
	}
	c.do(http.MethodPost, "/runtime/invocation/response", `{"ok":true}`)
	c.do(http.MethodPost, "/runtime/invocation/response", `"too late"`) // first post is final
	waitClosed(t, call.done, "response")
	if string(call.payload) != `{"ok":true}` || call.err != nil {
		t.Errorf("result = %q, %v; want the first post", call.payload, call.err)
	}
	if call.finishedAt.Before(call.deliveredAt) {
		t.Error("finished before delivered")
	}
}

func TestAPIServerErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		class *scferr.Error
		stack string
	}{
		{"bootstrap json", `{"errorType":"ValueError","errorMessage":"bad","stackTrace":"Traceback: x"}`, scferr.ErrUserCode, "ValueError: bad\nTraceback: x"},
		{"stack as lines", `{"errorType":"E","errorMessage":"m","stackTrace":["a","b"]}`, scferr.ErrUserCode, "E: m\na\nb"},
		{"plain text", "something broke\n", scferr.ErrUserCode, "something broke"},
		{"json without error fields", `{"x":1}`, scferr.ErrUserCode, `{"x":1}`},
	}
	s, c := newAPITest(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			call := newAPICall(Invocation{RequestID: strconv.Itoa(i), Event: []byte(`{}`)}, 128, 3000)
			offer(t, s, call)
			c.do(http.MethodGet, "/runtime/invocation/next", "")
			c.do(http.MethodPost, "/runtime/invocation/error", tc.body)
			waitClosed(t, call.done, "error post")
			if !errors.Is(call.err, tc.class) {
				t.Fatalf("err = %v, want status %d", call.err, tc.class.Status)
			}
			if got := scferr.As(call.err).StackTrace; got != tc.stack {
				t.Errorf("stack trace = %q, want %q", got, tc.stack)
			}
		})
	}
	t.Run("response too large", func(t *testing.T) {
		call := newAPICall(Invocation{RequestID: "big", Event: []byte(`{}`)}, 128, 3000)
		offer(t, s, call)
		c.do(http.MethodGet, "/runtime/invocation/next", "")
		c.do(http.MethodPost, "/runtime/invocation/response", `"`+strings.Repeat("x", maxResponseBytes)+`"`)
		waitClosed(t, call.done, "response")
		if !errors.Is(call.err, scferr.ErrResponseTooLarge) {
			t.Errorf("err = %v, want 407", call.err)
		}
	})
}

func TestAPIServerCloseEndsLongPoll(t *testing.T) {
	s, c := newAPITest(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/runtime/invocation/next", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the poll arrive; close must end it either way
	s.close()
	waitClosed(t, done, "long poll to end")
}

func TestProcessCustomRuntime(t *testing.T) {
	needInterpreter(t, "curl")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, procSpec(procTestdata(t, "custom"), "CustomRuntime", "whatever"))

	res, err := procInvoke(t, in, "req-c1", `{"name":"frank"}`)
	got := decodePayload(t, res, err)
	if got["version"] != "7" || got["request_id"] != "req-c1" {
		t.Errorf("payload = %v, want version 7 and request_id req-c1", got)
	}
	if !strings.Contains(res.Log, "custom runtime starting") || !strings.Contains(res.Log, `custom runtime got {"name":"frank"}`) {
		t.Errorf("first log = %q, want the init output and the invocation's", res.Log)
	}

	res, err = procInvoke(t, in, "req-c2", `{"name":"fail"}`)
	wantStatus(t, err, scferr.ErrUserCode, "custom failure for req-c2")
	if strings.Contains(res.Log, "custom runtime starting") {
		t.Errorf("second log = %q repeats the init output", res.Log)
	}
}

func TestProcessCustomRuntimeScfBootstrap(t *testing.T) {
	needInterpreter(t, "curl")
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(procTestdata(t, "custom"), "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	writeScript(t, dir, "scf_bootstrap", string(b))
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, procSpec(dir, "CustomRuntime", ""))
	res, err := procInvoke(t, in, "req-s", `{"n":1}`)
	decodePayload(t, res, err)
}

func TestProcessCustomRuntimeNotExecutable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// bootstrap takes precedence even when only scf_bootstrap could run.
	writeScript(t, dir, "scf_bootstrap", "#!/bin/sh\nexit 1\n")
	p := newProcTestRuntime(t, 0)
	_, err := p.Start(t.Context(), procSpec(dir, "CustomRuntime", ""))
	wantStatus(t, err, scferr.ErrContainerInit, "bootstrap file does not exist or is not executable", "bootstrap is not an executable file")
}

func TestProcessStopKillsProcessGroup(t *testing.T) {
	needInterpreter(t, "curl")
	p := newProcTestRuntime(t, 0)
	spec := procSpec(procTestdata(t, "custom"), "CustomRuntime", "")
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	spec.Env["PIDFILE"] = pidFile
	ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
	defer cancel()
	in, err := p.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile) // written before init/ready
	if err != nil {
		in.Stop(ctx)
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		in.Stop(ctx)
		t.Fatal(err)
	}
	if pidGone(pid) {
		in.Stop(ctx)
		t.Fatalf("background sleep %d is not running before Stop", pid)
	}
	if err := in.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitClosed(t, in.Exited(), "Exited after Stop")
	deadline := time.Now().Add(2 * time.Second) // the kernel delivers the signal asynchronously
	for !pidGone(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !pidGone(pid) {
		t.Errorf("background sleep %d survived Stop", pid)
	}
	if err := in.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
