package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// remoteOpts makes the fake engine "remote": it is on loopback like the
// fake's bridge, so the fake containers still reach the runtime api.
func remoteOpts() DockerOptions {
	return DockerOptions{Remote: &RemoteEngine{Host: "127.0.0.1", Callback: "127.0.0.1"}}
}

func TestDockerFakeRemoteCopiesCodeIntoVolumes(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, remoteOpts())
	spec := fakeSpec(t)
	if err := os.MkdirAll(filepath.Join(spec.CodeDir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec.CodeDir, "lib", "data.txt"), []byte("payload"), 0o444); err != nil {
		t.Fatal(err)
	}
	in := mustFakeStart(t, d, spec)
	if _, err := fakeInvoke(t, in, `{}`); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	in2 := mustFakeStart(t, d, spec) // a second instance reuses the volumes

	fc, err := f.get(containerOf(t, in).id)
	if err != nil {
		t.Fatal(err)
	}
	code, rt := codeVolumeName("s1", spec.CodeDir), runtimeVolumeName("s1")
	want := []bindMount{
		{source: code, target: containerCodeDir, readOnly: true, volume: true},
		{source: rt, target: containerRuntimeDir, readOnly: true, volume: true},
		{source: "scf-lang-s1", target: containerLangDir, readOnly: true, volume: true},
	}
	if !slices.Equal(fc.cfg.mounts, want) {
		t.Errorf("mounts %+v, want %+v: no bind mount of this machine's folders", fc.cfg.mounts, want)
	}
	if fc.cfg.publishIP != "127.0.0.1" {
		t.Errorf("publishIP %q, want the engine's address", fc.cfg.publishIP)
	}
	files := f.volume(code)
	if files["bootstrap"] != "#!/bin/sh\n" || files["lib/data.txt"] != "payload" || files["lib"] != "/" {
		t.Errorf("code volume holds %v, want bootstrap, lib/ and lib/data.txt", files)
	}
	if files := f.volume(rt); !strings.Contains(files["python/bootstrap.py"], "def ") {
		t.Errorf("runtime volume lacks the python bootstrap: %d files", len(files))
	}
	if files := f.volume("scf-lang-s1"); !strings.Contains(files["python3/bin/python3"], "exec python3") {
		t.Errorf("/var/lang volume lacks python3/bin/python3: %d files", len(files))
	}
	fills := 0
	for _, name := range f.creates {
		if strings.HasPrefix(name, "scf-fill-") {
			fills++
		}
	}
	if fills != 3 {
		t.Errorf("%d fill containers for three volumes and two starts, want 3 (one per volume)", fills)
	}
	for _, name := range f.liveNames() {
		if strings.HasPrefix(name, "scf-fill-") {
			t.Errorf("fill container %s left behind", name)
		}
	}
	_ = in2

	if err := d.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if f.volume(code) != nil || f.volume(rt) != nil {
		t.Errorf("volumes left after Close")
	}
}

func TestDockerFakeRemoteOrphanVolumes(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	opts := remoteOpts()
	opts.StateDir = "/state/here"
	d := newFakeRuntime(t, f, opts)
	ctx := t.Context()
	managed := func(session string) map[string]string { return ownedBy(ThisHost(), "/state/here", session) }
	for name, labels := range map[string]map[string]string{
		"scf-code-old": managed("old"), "scf-code-mine": managed("s1"), "someone-elses": {"x": "y"},
	} {
		if err := f.createVolume(ctx, name, labels); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.RemoveOrphans(ctx, "s1"); err != nil {
		t.Fatalf("RemoveOrphans: %v", err)
	}
	if f.volume("scf-code-old") != nil {
		t.Errorf("an earlier session's volume survived RemoveOrphans")
	}
	if f.volume("scf-code-mine") == nil || f.volume("someone-elses") == nil {
		t.Errorf("RemoveOrphans removed this session's volume or one it does not manage")
	}
}

func TestRemoteEngineFor(t *testing.T) {
	local := ""
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				local = n.IP.String()
				break
			}
		}
	}
	tests := []struct {
		name, host, callback string
		want                 *RemoteEngine
		wantErr              bool
	}{
		{name: "default socket", host: ""},
		{name: "unix socket", host: "unix:///var/run/docker.sock"},
		{name: "loopback tcp", host: "tcp://127.0.0.1:2375"},
		{name: "this machine's address", host: "tcp://" + local + ":2375"},
		{name: "another machine", host: "tcp://10.203.0.2:2375", callback: "10.203.0.1",
			want: &RemoteEngine{Host: "10.203.0.2", Callback: "10.203.0.1"}},
		{name: "tls", host: "https://10.203.0.2:2376", callback: "10.203.0.1",
			want: &RemoteEngine{Host: "10.203.0.2", Callback: "10.203.0.1"}},
		{name: "unknown host", host: "tcp://engine.invalid:2375", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "this machine's address" && local == "" {
				t.Skip("no non-loopback IPv4 address on this machine")
			}
			got, err := remoteEngineFor(dockerEndpoint{host: tc.host}, tc.callback)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWriteTarKeepsModesLinksAndOwner(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("x"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("run", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeTar(&buf, dir, "1234:5678"); err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
	}
	if h := got["run"]; h == nil || h.Mode&0o777 != 0o555 || h.Uid != 1234 || h.Gid != 5678 {
		t.Errorf("run: %+v, want mode 555 owned by 1234:5678", h)
	}
	if h := got["link"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "run" {
		t.Errorf("link: %+v, want a symlink to run", h)
	}
}
