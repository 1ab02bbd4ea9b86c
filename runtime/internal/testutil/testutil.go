// Package testutil holds the helpers and fixtures (testdata/) that the tests
// of the runtime backends share: runtime/process and runtime/docker run the
// same functions and assert the same platform errors.
package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// Timeout bounds every blocking call of the backend tests.
const Timeout = time.Minute // a hang guard: a loaded machine must never reach it

// Testdata returns the absolute path of the shared fixture testdata/name.
func Testdata(tb testing.TB, name string) string {
	tb.Helper()
	_, file, _, ok := goruntime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the testutil package")
	}
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// Spec is a spec for fixture dir with the given runtime and handler.
func Spec(dir, rt, handler string) runtime.Spec {
	return runtime.Spec{
		Namespace:  "default",
		Function:   "fn",
		Version:    "7",
		CodeHash:   "h1",
		CodeDir:    dir,
		Runtime:    rt,
		Type:       "event",
		Handler:    handler,
		MemoryMB:   256,
		TimeoutSec: 4,
		Env:        map[string]string{"GREETING": "hello"},
	}
}

// NeedInterpreter skips the test when name is not installed.
func NeedInterpreter(tb testing.TB, name string) {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Skipf("%s is not installed: %v", name, err)
	}
}

// Invoke invokes in with event under Timeout.
func Invoke(tb testing.TB, in runtime.Instance, requestID, event string) (runtime.Result, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), Timeout)
	defer cancel()
	return in.Invoke(ctx, runtime.Invocation{RequestID: requestID, Event: []byte(event)})
}

// DecodePayload unmarshals a successful result's payload.
func DecodePayload(tb testing.TB, res runtime.Result, err error) map[string]any {
	tb.Helper()
	if err != nil {
		tb.Fatalf("Invoke: %v (log %q)", err, res.Log)
	}
	var m map[string]any
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		tb.Fatalf("payload %q is not a JSON object: %v", res.Payload, err)
	}
	return m
}

// WantStatus fails unless err is an scferr error of class want whose text
// (message and stack trace) contains every one of texts.
func WantStatus(tb testing.TB, err error, want *scferr.Error, texts ...string) *scferr.Error {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Fatalf("error = %v (status %d), want status %d", err, scferr.Status(err), want.Status)
	}
	e := scferr.As(err)
	for _, s := range texts {
		if !strings.Contains(e.Message+"\n"+e.StackTrace, s) {
			tb.Errorf("error %q / stack %q does not contain %q", e.Message, e.StackTrace, s)
		}
	}
	return e
}

// WaitClosed fails unless ch closes within Timeout.
func WaitClosed(tb testing.TB, ch <-chan struct{}, what string) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(Timeout):
		tb.Fatalf("%s did not happen within %s", what, Timeout)
	}
}

// GetJSON GETs url and decodes its JSON answer into v.
func GetJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}
