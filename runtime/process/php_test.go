//go:build unix

package process

import (
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// needPHP skips the test when php is missing (apt-get install php-cli).
func needPHP(t *testing.T) {
	t.Helper()
	testutil.NeedInterpreter(t, "php") // the message says php is not installed
}

func TestProcessPHP(t *testing.T) {
	needPHP(t)
	p := newProcTestRuntime(t, 10*time.Second)
	dir := testutil.Testdata(t, "php")
	in := procStart(t, p, testutil.Spec(dir, "Php8.0", "index.main_handler"))

	for i, name := range []string{"first", "second"} {
		res, err := testutil.Invoke(t, in, "req-php-"+name, `{"name":"`+name+`","nested":{"list":[1,2]}}`)
		got := testutil.DecodePayload(t, res, err)
		ev, _ := got["event"].(map[string]any)
		nested, _ := ev["nested"].(map[string]any)
		if ev["name"] != name || nested == nil {
			t.Errorf("event = %v, want the JSON event as objects", got["event"])
		}
		want := map[string]any{
			"request_id": "req-php-" + name, "function": "fn", "version": "7", "namespace": "default",
			"memory": float64(256), "greeting": "hello", "handler": "index.main_handler", "mark_hidden": true,
			"cwd": dir, "invocations": float64(i + 1), "unicode": "函数",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("invocation %d: %s = %v, want %v", i+1, k, got[k], v)
			}
		}
		if !strings.Contains(res.Log, "php handler got "+name) || !strings.Contains(res.Log, "php stderr line") {
			t.Errorf("log %q lacks the handler's stdout and stderr lines", res.Log)
		}
		if strings.Count(res.Log, "php handler got") != 1 {
			t.Errorf("log %q holds another invocation's output", res.Log)
		}
	}

	// A thrown exception is a 430 whose stack shows /var/user, not the host.
	res, err := testutil.Invoke(t, in, "req-php-throw", `{"mode":"throw","name":"x"}`)
	e := testutil.WantStatus(t, err, scferr.ErrUserCode, "boom x")
	if !strings.Contains(e.StackTrace, "/var/user/index.php") || strings.Contains(e.StackTrace, dir) || strings.Contains(res.Log, dir) {
		t.Errorf("stack %q / log %q: want /var/user/index.php and never %s", e.StackTrace, res.Log, dir)
	}
	if strings.Contains(e.StackTrace, "bootstrap.php") {
		t.Errorf("stack %q shows the bootstrap's frames", e.StackTrace)
	}
	// The instance survives a thrown exception.
	res, err = testutil.Invoke(t, in, "req-php-after", `{"name":"after"}`)
	if got := testutil.DecodePayload(t, res, err); got["invocations"] != float64(4) {
		t.Errorf("after the exception: invocations = %v, want 4 (same instance)", got["invocations"])
	}

	_, err = testutil.Invoke(t, in, "req-php-exit", `{"mode":"exit"}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "exiting now")
}

func TestProcessPHPStartFailures(t *testing.T) {
	needPHP(t)
	p := newProcTestRuntime(t, 10*time.Second)
	dir := testutil.Testdata(t, "php")
	tests := []struct {
		handler string
		want    []string
	}{
		{"broken.main_handler", []string{"ParseError", "/var/user/broken.php"}},
		{"missing.main_handler", []string{"handler file missing.php not found"}},
		{"index.nope", []string{"handler function 'nope' not found in index.php"}},
	}
	for _, tc := range tests {
		t.Run(tc.handler, func(t *testing.T) {
			_, err := p.Start(t.Context(), testutil.Spec(dir, "Php7.4", tc.handler))
			e := testutil.WantStatus(t, err, scferr.ErrContainerInit, tc.want...)
			if strings.Contains(e.Message, dir) {
				t.Errorf("message %q shows the host path %s", e.Message, dir)
			}
		})
	}
}
