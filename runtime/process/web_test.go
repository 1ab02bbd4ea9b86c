//go:build unix

package process

import (
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

func TestProcessWeb(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 0)
	spec := testutil.Spec(testutil.Testdata(t, "web"), "Python3.9", "")
	spec.Type = "http"
	in := procStart(t, p, spec)
	if in.Addr() == "" {
		t.Fatal("Addr is empty")
	}
	var got map[string]string
	testutil.GetJSON(t, "http://"+in.Addr()+"/hello", &got)
	if got["version"] != "7" || got["path"] != "/hello" {
		t.Errorf("response = %v, want version 7 and path /hello", got)
	}
	_, err := testutil.Invoke(t, in, "req-w", `{}`)
	testutil.WantStatus(t, err, scferr.ErrInvalidParameter, "web functions cannot be invoked")
}

func TestProcessWebStartFailures(t *testing.T) {
	tests := []struct {
		name   string
		script string
		class  *scferr.Error
		want   []string
	}{
		{"exits", "#!/bin/sh\necho address already in use >&2\nexit 1\n", scferr.ErrContainerInit, []string{"exit status 1", "address already in use"}},
		{"never listens", "#!/bin/sh\necho listening on 9000 instead\nexec sleep 30\n", scferr.ErrPortBinding, []string{"did not listen", "listening on 9000 instead"}},
		{"no scf_bootstrap", "", scferr.ErrContainerInit, []string{"bootstrap file does not exist"}},
	}
	p := newProcTestRuntime(t, 3*time.Second) // time for "never listens" to print, also on a loaded machine
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.script != "" {
				writeScript(t, dir, "scf_bootstrap", tc.script)
			}
			spec := testutil.Spec(dir, "CustomRuntime", "")
			spec.Type = "HTTP"
			_, err := p.Start(t.Context(), spec)
			testutil.WantStatus(t, err, tc.class, tc.want...)
		})
	}
}
