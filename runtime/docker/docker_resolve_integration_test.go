//go:build unix

package docker

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// nopeImage is a made-up image in no registry: its pull fails (at once on a
// machine without a registry), so nothing is ever really pulled.
const nopeImage = "scf-emulator-test/nope:1"

// TestDockerResolveUnpullable resolves a missing image whose pull fails on
// the real daemon: a default image falls back to the Debian one, a named
// image has no stand-in, and the mixed runtime serves it as a process.
func TestDockerResolveUnpullable(t *testing.T) {
	d := newDockerTestRuntimeWith(t, DockerOptions{Pull: PullMissing})
	needDebianImage(t, d)
	testutil.NeedInterpreter(t, "python3")

	// As for a default python:X-slim that is missing.
	res, err := d.resolve(t.Context(), "Python3.9", imageChoice{ref: nopeImage, fallback: DebianRuntimeImage}, nil)
	if err != nil || res.State != runtime.ImageFallback || res.Image != DebianRuntimeImage {
		t.Fatalf("default image missing: %+v, %v; want the fallback %s", res, err, DebianRuntimeImage)
	}

	// Named with `image:`: no stand-in, and the error says how to get it.
	spec := testutil.Spec(testutil.Testdata(t, "python"), "Python3.9", "index.main_handler")
	spec.Image = nopeImage
	var last runtime.PullProgress
	res, err = d.ResolveImage(t.Context(), spec, func(p runtime.PullProgress) { last = p })
	if !errors.Is(err, runtime.ErrImageUnavailable) || res.State != runtime.ImageUnavailable {
		t.Fatalf("named image: %+v, %v; want runtime.ErrImageUnavailable", res, err)
	}
	for _, s := range []string{nopeImage, "could not be pulled", "docker pull " + nopeImage} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if !last.Done || last.Err == nil {
		t.Errorf("last pull progress %+v, want Done with the pull's error", last)
	}

	m := runtime.NewMixed(d, newProcessRuntime(t), nil)
	in, err := m.Start(t.Context(), spec)
	if err != nil {
		t.Fatalf("mixed Start: %v", err)
	}
	t.Cleanup(func() { in.Stop(context.WithoutCancel(t.Context())) })
	res2, err := testutil.Invoke(t, in, "r1", `{"name":"mixed"}`)
	got := testutil.DecodePayload(t, res2, err)
	// A process runs in the code directory; a container would be in /var/user.
	if got["cwd"] != spec.CodeDir {
		t.Errorf("cwd %v, want %s: the function must run as a process", got["cwd"], spec.CodeDir)
	}
}
