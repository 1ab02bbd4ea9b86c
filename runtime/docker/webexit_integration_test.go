//go:build unix

package docker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// A web function whose scf_bootstrap exits at once is a 445 quoting its exit
// and output, as in the process runtime, not a 446 after the init timeout.
func TestDockerWebBootstrapExitsAtStart(t *testing.T) {
	d := newDockerTestRuntimeWith(t, DockerOptions{Images: map[string]string{"python3.9": DebianRuntimeImage}})
	needDebianImage(t, d)
	dir := t.TempDir()
	boot := "#!/bin/sh\necho about to give up\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "scf_bootstrap"), []byte(boot), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := dockerSpec(dir, "Python3.9", "http")
	for i := range 3 { // the later starts take spares, probed on a bridge address that goes away
		ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
		start := time.Now()
		_, err := d.Start(ctx, spec)
		cancel()
		testutil.WantStatus(t, err, scferr.ErrContainerInit, "exited during initialization", "exit code 3", "about to give up")
		if elapsed := time.Since(start); elapsed > d.initTimeout/2 {
			t.Errorf("start %d gave up after %s, want at once (well before the %s init timeout)", i, elapsed, d.initTimeout)
		}
	}
}
