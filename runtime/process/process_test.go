//go:build unix

package process

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

func TestProcessPythonInvoke(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	dir := testutil.Testdata(t, "python")
	in := procStart(t, p, testutil.Spec(dir, "Python3.9", "index.main_handler"))

	res, err := testutil.Invoke(t, in, "req-1", `{"name":"alice"}`)
	got := testutil.DecodePayload(t, res, err)
	if got["version"] != "7" {
		t.Errorf("context.function_version = %v, want 7", got["version"])
	}
	if ev, _ := got["event"].(map[string]any); ev["name"] != "alice" {
		t.Errorf("event echo = %v, want name alice", got["event"])
	}
	if got["cwd"] != dir {
		t.Errorf("working directory = %v, want %s", got["cwd"], dir)
	}
	env, _ := got["env"].(map[string]any)
	wantEnv := map[string]any{
		"SCF_FUNCTIONNAME":         "fn",
		"SCF_FUNCTIONVERSION":      "7",
		"SCF_NAMESPACE":            "default",
		"SCF_RUNTIME":              "Python3.9",
		"TENCENTCLOUD_RUNENV":      "SCF",
		"USER_CODE_ROOT":           dir,
		"_HANDLER":                 "index.main_handler",
		"GREETING":                 "hello",
		"PYTHONDONTWRITEBYTECODE":  "1",
		"_SCF_CONTEXT_ENVIRONMENT": nil, // private to the bootstrap
	}
	for k, want := range wantEnv {
		if env[k] != want {
			t.Errorf("env %s = %v, want %v", k, env[k], want)
		}
	}
	ctx, _ := got["context"].(map[string]any)
	wantCtx := map[string]any{
		"request_id":         "req-1",
		"function_name":      "fn",
		"namespace":          "default",
		"memory_limit_in_mb": float64(256),
		"time_limit_in_ms":   float64(4000),
		"tencentcloud_appid": "1250000000", // the emulated account (see internal/instance/env.go)
	}
	for k, want := range wantCtx {
		if ctx[k] != want {
			t.Errorf("context[%s] = %v, want %v", k, ctx[k], want)
		}
	}
	if s, _ := ctx["environment"].(string); !strings.Contains(s, `"GREETING":"hello"`) {
		t.Errorf("context.environment = %q, want the user variables as JSON", s)
	}
	if !strings.Contains(res.Log, "python handler got alice") {
		t.Errorf("log %q lacks the handler's print", res.Log)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %v, want > 0", res.Duration)
	}
	if goruntime.GOOS == "linux" && res.MemUsage <= 0 {
		t.Errorf("MemUsage = %d, want the process's RSS", res.MemUsage)
	}

	// A user error is a 430 carrying the traceback; the instance survives it.
	res, err = testutil.Invoke(t, in, "req-2", `{"name":"bob","mode":"raise"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "ValueError: boom bob", "Traceback", "index.py")
	if !strings.Contains(res.Log, "ValueError: boom bob") || strings.Contains(res.Log, "alice") {
		t.Errorf("log of the failed invocation = %q, want its traceback and nothing of the first", res.Log)
	}

	res, err = testutil.Invoke(t, in, "req-3", `{"name":"carol"}`)
	testutil.DecodePayload(t, res, err)
	if !strings.Contains(res.Log, "carol") || strings.Contains(res.Log, "bob") {
		t.Errorf("third log = %q, want only its own output", res.Log)
	}
}

func TestProcessPythonNestedHandler(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "src/app.handler"))
	res, err := testutil.Invoke(t, in, "req-n", `{}`)
	got := testutil.DecodePayload(t, res, err)
	if got["nested"] != true || got["request_id"] != "req-n" {
		t.Errorf("payload = %v, want the nested handler's answer", got)
	}
}

func TestProcessStartFailures(t *testing.T) {
	tests := []struct {
		name        string
		interpreter string
		spec        runtime.Spec
		want        []string
	}{
		{
			name:        "python import error",
			interpreter: "python3",
			spec:        testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "broken.main_handler"),
			want:        []string{"exited during initialization", "ModuleNotFoundError", "this_module_does_not_exist_anywhere"},
		},
		{
			name:        "python missing handler function",
			interpreter: "python3",
			spec:        testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.nope"),
			want:        []string{"handler function 'nope' not found"},
		},
		{
			name:        "node import error",
			interpreter: "node",
			spec:        testutil.Spec(testutil.Testdata(t, "node"), "Nodejs16.13", "broken.main_handler"),
			want:        []string{"exited during initialization", "this-module-does-not-exist"},
		},
		{
			name: "custom runtime without bootstrap",
			spec: testutil.Spec(testutil.Testdata(t, "python"), "CustomRuntime", ""),
			want: []string{"bootstrap file does not exist"},
		},
		{
			name: "go1 without binary",
			spec: testutil.Spec(testutil.Testdata(t, "python"), "Go1", "main"),
			want: []string{`go1 executable "main" does not exist`},
		},
		{
			name: "unsupported runtime",
			spec: testutil.Spec(testutil.Testdata(t, "python"), "Java8", "a.b"),
			want: []string{`runtime "Java8" is not supported`},
		},
	}
	p := newProcTestRuntime(t, 0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.interpreter != "" {
				testutil.NeedInterpreter(t, tc.interpreter)
			}
			ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
			defer cancel()
			in, err := p.Start(ctx, tc.spec)
			if err == nil {
				in.Stop(ctx)
				t.Fatal("Start succeeded, want a 445 error")
			}
			testutil.WantStatus(t, err, scferr.ErrContainerInit, tc.want...)
		})
	}
}

func TestProcessPythonExitDuringInvoke(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.main_handler"))
	res, err := testutil.Invoke(t, in, "req-x", `{"mode":"exit"}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "exit status 3", "exiting now")
	if !strings.Contains(res.Log, "exiting now") {
		t.Errorf("log = %q, want the output written before the exit", res.Log)
	}
	testutil.WaitClosed(t, in.Exited(), "Exited")
	_, err = testutil.Invoke(t, in, "req-y", `{}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit)
}

func TestProcessPythonOutputFlood(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.main_handler"))
	const lines = 50 << 10 // 50 MB of 1 KB lines
	res, err := testutil.Invoke(t, in, "req-f", fmt.Sprintf(`{"name":"flood","mode":"flood","lines":%d}`, lines))
	testutil.DecodePayload(t, res, err)
	if len(res.Log) > instance.InvocationLogMax+100 {
		t.Fatalf("log is %d bytes, want at most about %d", len(res.Log), instance.InvocationLogMax)
	}
	var dropped int
	if i := strings.LastIndex(res.Log, "\n... "); i < 0 {
		t.Fatalf("log tail %q has no dropped-bytes note", res.Log[max(0, len(res.Log)-200):])
	} else if _, err := fmt.Sscanf(res.Log[i:], "\n... %d bytes dropped", &dropped); err != nil {
		t.Fatalf("dropped note %q: %v", res.Log[i:], err)
	}
	// Everything written is accounted for: the greeting line plus the flood.
	total := len("python handler got flood\n") + lines*1024
	if kept := instance.InvocationLogMax; kept+dropped != total {
		t.Errorf("kept %d + dropped %d = %d bytes, want %d written", kept, dropped, kept+dropped, total)
	}
	// The instance still works, and the flood does not leak into the next log.
	res, err = testutil.Invoke(t, in, "req-g", `{"name":"after"}`)
	testutil.DecodePayload(t, res, err)
	if strings.Contains(res.Log, "xxxx") {
		t.Errorf("next log holds flood output: %.100q", res.Log)
	}
}

func TestProcessInvokeContextEnds(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.main_handler"))
	// The deadline must leave the handler time to print first, also on a
	// loaded machine; it sleeps 30 s, so any deadline below that ends it.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	res, err := in.Invoke(ctx, runtime.Invocation{RequestID: "req-s", Event: []byte(`{"name":"sleepy","mode":"sleep","seconds":30}`)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke error = %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(res.Log, "python handler got sleepy") {
		t.Errorf("log = %q, want the output so far", res.Log)
	}
}

func TestProcessNodeHandlers(t *testing.T) {
	testutil.NeedInterpreter(t, "node")
	p := newProcTestRuntime(t, 0)
	tests := []struct {
		handler string
		style   string
	}{
		{"index.main_handler", "sync"},
		{"index.async_handler", "async"},
		{"index.callback_handler", "callback"},
	}
	for _, tc := range tests {
		t.Run(tc.style, func(t *testing.T) {
			in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "node"), "Nodejs16.13", tc.handler))
			res, err := testutil.Invoke(t, in, "req-"+tc.style, `{"name":"dave"}`)
			got := testutil.DecodePayload(t, res, err)
			if got["style"] != tc.style || got["version"] != "7" {
				t.Errorf("payload = %v, want style %s and version 7", got, tc.style)
			}
			if want := "node " + tc.style + " got dave"; !strings.Contains(res.Log, want) {
				t.Errorf("log = %q, want %q", res.Log, want)
			}
			if tc.style != "sync" {
				return
			}
			env, _ := got["env"].(map[string]any)
			if env["SCF_FUNCTIONVERSION"] != "7" || env["GREETING"] != "hello" {
				t.Errorf("env = %v, want SCF_FUNCTIONVERSION 7 and GREETING hello", env)
			}
			if r, _ := got["remaining"].(float64); r <= 0 || r > 4000 {
				t.Errorf("getRemainingTimeInMillis() = %v, want within (0, 4000]", got["remaining"])
			}
			ctx, _ := got["context"].(map[string]any)
			if ctx["request_id"] != "req-sync" || ctx["memory_limit_in_mb"] != float64(256) || ctx["tencentcloud_uin"] != "100000000001" {
				t.Errorf("context = %v", ctx)
			}
		})
	}
}

func TestProcessNodeError(t *testing.T) {
	testutil.NeedInterpreter(t, "node")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "node"), "Nodejs16.13", "index.throw_handler"))
	res, err := testutil.Invoke(t, in, "req-e", `{"name":"erin"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "TypeError: node boom erin", "index.js")
	if !strings.Contains(res.Log, "node boom erin") {
		t.Errorf("log = %q, want the printed error", res.Log)
	}
}

func TestProcessExitedWhenKilledExternally(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.main_handler"))
	select {
	case <-in.Exited():
		t.Fatal("Exited is closed while the process runs")
	default:
	}
	if err := killPID(instancePID(t, in)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitClosed(t, in.Exited(), "Exited after an external kill")
	_, err := testutil.Invoke(t, in, "req-k", `{}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "signal: killed")
}

func TestProcessStartContextEnds(t *testing.T) {
	p := newProcTestRuntime(t, 0)
	dir := t.TempDir()
	writeScript(t, dir, "bootstrap", "#!/bin/sh\necho never ready\nexec sleep 30\n")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := p.Start(ctx, testutil.Spec(dir, "CustomRuntime", ""))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start error = %v, want context.DeadlineExceeded", err)
	}
}

func TestProcessInitTimeout(t *testing.T) {
	// The timeout must leave sh time to print first, also on a loaded machine.
	p := newProcTestRuntime(t, 3*time.Second)
	dir := t.TempDir()
	writeScript(t, dir, "bootstrap", "#!/bin/sh\necho still initialising\nexec sleep 30\n")
	_, err := p.Start(t.Context(), testutil.Spec(dir, "CustomRuntime", ""))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "did not call /runtime/init/ready", "still initialising")
}
