//go:build unix

package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// bigEvent is an event far larger than the 2 KB net/http buffers before it
// switches an answer without a length to chunked encoding: an API Gateway
// event with a few headers of cookies is that large.
func bigEvent(t *testing.T) []byte {
	t.Helper()
	ev, err := json.Marshal(map[string]string{"name": "big", "pad": strings.Repeat("x", 64<<10)})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestAPIServerNextHasLength: /next answers with a Content-Length whatever
// the event's size, so that a bootstrap reading exactly that many bytes on a
// kept connection never waits for a chunk or an end of stream.
func TestAPIServerNextHasLength(t *testing.T) {
	s, c := newAPITest(t)
	for _, ev := range [][]byte{[]byte(`{}`), bigEvent(t)} {
		call := newAPICall(runtime.Invocation{RequestID: "r", Event: ev}, 128, 3000)
		offer(t, s, call)
		resp, body := c.do(http.MethodGet, "/runtime/invocation/next", "")
		if resp.ContentLength != int64(len(ev)) || len(resp.TransferEncoding) != 0 {
			t.Errorf("event of %d bytes: Content-Length %d, Transfer-Encoding %v; want the length, no chunking",
				len(ev), resp.ContentLength, resp.TransferEncoding)
		}
		if body != string(ev) {
			t.Errorf("event of %d bytes came back as %d bytes", len(ev), len(body))
		}
		c.do(http.MethodPost, "/runtime/invocation/response", `{}`)
		testutil.WaitClosed(t, call.done, "response")
	}
}

// TestBootstrapsTakeLargeEvents runs the embedded Python and Node.js
// bootstraps against the runtime API with events small and large: each
// comes back whole, at once (a large one used to leave the Python bootstrap
// reading to the end of a kept connection until the function timed out).
func TestBootstrapsTakeLargeEvents(t *testing.T) {
	tests := []struct {
		name, interpreter, script, fixture string
	}{
		{"python", "python3", "python/bootstrap.py", "python"},
		{"node", "node", "node/bootstrap.js", "node"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := startBootstrap(t, tc.interpreter, tc.script, tc.fixture, "index.main_handler")
			for i, ev := range [][]byte{[]byte(`{"name":"small"}`), bigEvent(t), []byte(`{"name":"after"}`)} {
				call := newAPICall(runtime.Invocation{RequestID: fmt.Sprint("r", i), Event: ev}, 128, 3000)
				offer(t, s, call)
				testutil.WaitClosed(t, call.done, fmt.Sprintf("the answer to an event of %d bytes", len(ev)))
				if call.err != nil {
					t.Fatalf("event of %d bytes: %v", len(ev), call.err)
				}
				var got struct {
					Event map[string]string `json:"event"`
				}
				var want map[string]string
				if err := errors.Join(json.Unmarshal(call.payload, &got), json.Unmarshal(ev, &want)); err != nil {
					t.Fatalf("payload %.200q: %v", call.payload, err)
				}
				if !maps.Equal(got.Event, want) {
					t.Errorf("event of %d bytes: the handler saw %.100v", len(ev), got.Event)
				}
			}
		})
	}
}

// startBootstrap runs the embedded bootstrap script (e.g. "node/bootstrap.js")
// with interpreter on the fixture handler, and returns its runtime API, ready,
// and a channel closed when the process has ended.
func startBootstrap(t *testing.T, interpreter, script, fixture, handler string) (*APIServer, <-chan struct{}) {
	t.Helper()
	testutil.NeedInterpreter(t, interpreter)
	boot := t.TempDir()
	if err := WriteBootstraps(boot); err != nil {
		t.Fatal(err)
	}
	s, err := NewAPIServer("127.0.0.1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cmd := exec.CommandContext(t.Context(), interpreter, filepath.Join(boot, script))
	cmd.Dir = testutil.Testdata(t, fixture)
	cmd.Env = append(os.Environ(), "SCF_RUNTIME_API=127.0.0.1", "SCF_RUNTIME_API_PORT="+s.Port(), "_HANDLER="+handler)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	testutil.WaitClosed(t, s.ready, "bootstrap ready")
	return s, exited
}

// TestNodeCallbackWaitsForEmptyEventLoop: a non-async Node.js handler
// answers once the event loop is empty (what it left to run has run), unless
// it sets context.callbackWaitsForEmptyEventLoop = false, as the platform's
// Node.js page says.
func TestNodeCallbackWaitsForEmptyEventLoop(t *testing.T) {
	tests := []struct{ handler, want string }{
		{"index.waits_handler", `{"seen":["timer ran"]}`},
		{"index.nowait_handler", `{"seen":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.handler, func(t *testing.T) {
			s, _ := startBootstrap(t, "node", "node/bootstrap.js", "node", tc.handler)
			for i := range 2 { // the second on the same process
				call := newAPICall(runtime.Invocation{RequestID: fmt.Sprint("r", i), Event: []byte(`{}`)}, 128, 3000)
				offer(t, s, call)
				testutil.WaitClosed(t, call.done, "the answer")
				if call.err != nil || string(call.payload) != tc.want {
					t.Errorf("invocation %d: %s, %v; want %s", i, call.payload, call.err, tc.want)
				}
			}
		})
	}
}

// TestNodeHandlerThatNeverAnswers: a handler that never calls its callback
// runs until the function times out; its process does not end (it used to
// exit with status 0 once nothing was left to run: a 439 on the platform's
// terms).
func TestNodeHandlerThatNeverAnswers(t *testing.T) {
	s, exited := startBootstrap(t, "node", "node/bootstrap.js", "node", "index.never_handler")
	call := newAPICall(runtime.Invocation{RequestID: "r", Event: []byte(`{}`)}, 128, 3000)
	offer(t, s, call)
	select {
	case <-exited:
		t.Fatal("the bootstrap exited with the invocation unanswered")
	case <-call.done:
		t.Fatalf("answered %s, %v; want no answer", call.payload, call.err)
	case <-time.After(time.Second): // a bounded look: it ends in the timeout's kill
	}
}
