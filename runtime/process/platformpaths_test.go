//go:build linux

package process

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// A web function written for the platform (scf_bootstrap names
// /var/lang/..., the server binds 9000) gets a 445 that says why and
// points at the docker runtime, not "No such file or directory" or a 446.
func TestProcessPlatformWebFunction(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newProcTestRuntime(t, 10*time.Second)
	t.Run("var lang", func(t *testing.T) {
		spec := testutil.Spec(testutil.Testdata(t, "platformweb-python"), "Python3.9", "")
		spec.Type = "http"
		_, err := p.Start(t.Context(), spec)
		testutil.WantStatus(t, err, scferr.ErrContainerInit, "scf_bootstrap runs /var/lang/python3/bin/python3", "--runtime docker")
	})
	t.Run("custom runtime bootstrap", func(t *testing.T) {
		dir := t.TempDir()
		writeScript(t, dir, "bootstrap", "#!/bin/bash\nexec /var/lang/node16/bin/node index.js\n")
		_, err := p.Start(t.Context(), testutil.Spec(dir, "CustomRuntime", ""))
		testutil.WantStatus(t, err, scferr.ErrContainerInit, "bootstrap runs /var/lang/node16/bin/node", "--runtime docker")
	})
	t.Run("listens on the platform port", func(t *testing.T) {
		// A free port stands in for 9000, which something else on this
		// machine may hold.
		free, err := instance.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		p.platformPort, _ = strconv.Atoi(free)
		defer func() { p.platformPort = platformPort }()
		dir := t.TempDir()
		writeScript(t, dir, "scf_bootstrap", fmt.Sprintf("#!/bin/bash\nexec python3 -m http.server --bind 0.0.0.0 %s\n", free))
		spec := testutil.Spec(dir, "Python3.9", "")
		spec.Type = "http"
		_, err = p.Start(t.Context(), spec)
		testutil.WantStatus(t, err, scferr.ErrContainerInit, "listens on port "+free, "not on $PORT", "--runtime docker")
	})
}

func TestCheckPlatformPaths(t *testing.T) {
	tests := []struct {
		name, content string
		want          bool
		hint          string // how the error says to call the interpreter
	}{
		{"python", "#!/bin/bash\n/var/lang/python3/bin/python3 app.py\n", true, "(python3 instead of /var/lang/python3/bin/python3)"},
		{"quoted", "#!/bin/sh\nexec \"/var/lang/node12/bin/node\" app.js\n", true, "(node instead of /var/lang/node12/bin/node)"},
		{"by name", "#!/bin/bash\npython3 app.py\n", false, ""},
		{"existing path", "#!/bin/sh\n/bin/sh -c true\n", false, ""},
		{"binary", "\x7fELF/var/lang/python3/bin/python3", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, dir, "scf_bootstrap", tc.content)
			err := checkPlatformPaths(dir + "/scf_bootstrap")
			if (err != nil) != tc.want {
				t.Errorf("checkPlatformPaths = %v, want an error: %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("checkPlatformPaths = %v, want the hint %q", err, tc.hint)
			}
		})
	}
}
