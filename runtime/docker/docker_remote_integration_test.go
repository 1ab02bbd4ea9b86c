//go:build unix

package docker

import (
	"context"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// TestDockerCopyMode runs the remote-engine path against the local daemon:
// code and bootstraps copied into volumes instead of bind-mounted, ports
// published on the engine's address. .ci/run replays the whole scenario on
// a really remote engine (scripts/remote-docker-engine.sh).
func TestDockerCopyMode(t *testing.T) {
	d := newDockerTestRuntimeWith(t, DockerOptions{Remote: &RemoteEngine{Host: "127.0.0.1"}})

	t.Run("web function on the engine's address", func(t *testing.T) {
		in := dockerStart(t, d, dockerSpec(buildDockerFn(t), "Go1", "http"))
		if !strings.HasPrefix(in.Addr(), "127.0.0.1:") {
			t.Errorf("Addr = %q, want the engine's address 127.0.0.1", in.Addr())
		}
		var got map[string]any
		testutil.GetJSON(t, "http://"+in.Addr()+"/hello", &got)
		wantDescribed(t, got)
		info, err := inspectContainer(t, d, containerOf(t, in).id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range info.mounts {
			if !m.volume || !m.readOnly {
				t.Errorf("mount %+v: want a read-only volume, no bind mount of this machine's folders", m)
			}
		}
	})

	t.Run("python through the runtime api", func(t *testing.T) {
		needDebianImage(t, d)
		spec := dockerSpec(testutil.Testdata(t, "python"), "Python3.9", "event")
		spec.Handler = "index.main_handler"
		in := dockerStart(t, d, spec)
		res, err := invokeLogged(t, in, `{"name":"d"}`, "python handler got d")
		if err != nil {
			t.Fatalf("Invoke: %v (log %q)", err, res.Log)
		}
		if !strings.Contains(string(res.Payload), "/var/user") {
			t.Errorf("payload %s lacks /var/user", res.Payload)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	scope := map[string]string{LabelManaged: "true"}
	for k, v := range d.scope {
		scope[k] = v
	}
	before, err := d.api.listVolumes(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 2 {
		t.Errorf("%d volumes while running, want the instance.Bootstraps' and at least one of code", len(before))
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if after, err := d.api.listVolumes(ctx, scope); err != nil || len(after) != 0 {
		t.Errorf("after Close: %d volumes (%v), want none", len(after), err)
	}
}
