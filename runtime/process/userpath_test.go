//go:build unix

package process

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// TestErrorsShowUserCodeRoot: a Python function that raises and a Node.js
// one that throws report their stack with /var/user, never the code's host
// directory, in the error and in the log: from the instance itself (the
// bootstraps map it) and from the Manager (which maps whatever else the
// runtime built).
func TestErrorsShowUserCodeRoot(t *testing.T) {
	tests := []struct {
		name, interp, fixture, rt, handler, event, wantFile string
	}{
		{"python raises", "python3", "python", "Python3.9", "index.main_handler", `{"mode":"raise","name":"x"}`, "/var/user/index.py"},
		{"node throws", "node", "node", "Nodejs16.13", "index.throw_handler", `{"name":"x"}`, "/var/user/index.js"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.NeedInterpreter(t, tc.interp)
			p := newProcTestRuntime(t, 10*time.Second)
			dir := testutil.Testdata(t, tc.fixture)
			spec := testutil.Spec(dir, tc.rt, tc.handler)
			check := func(via string, res runtime.Result, err error) {
				t.Helper()
				e := scferr.As(err)
				if e.Status != scferr.ErrUserCode.Status {
					t.Fatalf("%s: error = %v, want a 430", via, err)
				}
				for what, s := range map[string]string{"stack": e.StackTrace, "message": e.Message, "log": res.Log} {
					if strings.Contains(s, dir) {
						t.Errorf("%s: %s shows the host path %s: %q", via, what, dir, s)
					}
				}
				if !strings.Contains(e.StackTrace, tc.wantFile) || !strings.Contains(res.Log, tc.wantFile) {
					t.Errorf("%s: stack %q or log %q lacks %s", via, e.StackTrace, res.Log, tc.wantFile)
				}
			}
			in := procStart(t, p, spec)
			ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
			defer cancel()
			res, err := in.Invoke(ctx, runtime.Invocation{RequestID: "r1", Event: []byte(tc.event)})
			check("instance", res, err)

			m := runtime.NewManager(p, runtime.Options{})
			defer m.Close(context.WithoutCancel(ctx))
			res, err = m.Invoke(ctx, spec, runtime.Invocation{RequestID: "r2", Event: []byte(tc.event)})
			check("manager", res, err)
		})
	}
}

// TestManagerMapsRuntimeErrors: an error the runtime builds from the code
// directory (here: no bootstrap in it) names /var/user.
func TestManagerMapsRuntimeErrors(t *testing.T) {
	p := newProcTestRuntime(t, 5*time.Second)
	dir := t.TempDir()
	m := runtime.NewManager(p, runtime.Options{})
	defer m.Close(context.WithoutCancel(t.Context()))
	_, err := m.Invoke(t.Context(), testutil.Spec(dir, "CustomRuntime", ""), runtime.Invocation{RequestID: "r", Event: []byte(`{}`)})
	e := scferr.As(err)
	if strings.Contains(e.Message, dir) || !strings.Contains(e.Message, "/var/user") {
		t.Errorf("message = %q, want /var/user instead of %s", e.Message, dir)
	}
}
