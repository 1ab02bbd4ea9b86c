//go:build unix

package docker

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// A web function written as the platform's docs write it (scf_bootstrap
// runs /var/lang/<lang>/bin/<interpreter> app.*, the server binds
// 0.0.0.0:9000) runs unchanged, and only /tmp is writable.
func TestDockerPlatformWebFunction(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	needDebianImage(t, d) // python:3.9-slim and node:16-slim are absent offline
	tests := []struct {
		fixture, runtime, interpreter string
	}{
		{"platformweb-python", "Python3.9", "python3"},
		{"platformweb-node", "Nodejs16.13", "node"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			spec := dockerSpec(testutil.Testdata(t, tc.fixture), tc.runtime, "http")
			in := dockerStart(t, d, spec)
			var got struct {
				Executable string
				Path, Cwd  string
				Writable   map[string]bool
			}
			testutil.GetJSON(t, "http://"+in.Addr()+"/platform?x=1", &got)
			if got.Path != "/platform?x=1" || got.Cwd != "/var/user" {
				t.Errorf("path %q cwd %q, want /platform?x=1 in /var/user", got.Path, got.Cwd)
			}
			if filepath.Base(got.Executable) != tc.interpreter && !strings.HasPrefix(filepath.Base(got.Executable), tc.interpreter+".") {
				t.Errorf("executable %q, want the image's %s", got.Executable, tc.interpreter)
			}
			want := map[string]bool{"/": false, "/var/user": false, "/var/lang": false, "/opt": false, "/etc": false, "/tmp": true}
			if !maps.Equal(got.Writable, want) {
				t.Errorf("writable %v, want only /tmp: %v", got.Writable, want)
			}
			info, err := inspectContainer(t, d, containerOf(t, in).id)
			if err != nil {
				t.Fatal(err)
			}
			lang := bindMount{source: filepath.Join(d.workDir, langDirName), target: containerLangDir, readOnly: true}
			if !slices.Contains(info.mounts, lang) {
				t.Errorf("mounts %+v lack %+v", info.mounts, lang)
			}
		})
	}
}

// A PHP function as the platform's docs write it runs in the Debian image
// (php:8.0-cli is absent offline), its stack showing /var/user.
func TestDockerPHP(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	needDebianImage(t, d)
	spec := dockerSpec(testutil.Testdata(t, "php"), "Php8.0", "event")
	spec.Handler = "index.main_handler"
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	in, err := d.Start(ctx, spec)
	if err != nil && strings.Contains(err.Error(), "php") && strings.Contains(err.Error(), "not found") {
		t.Skipf("%s predates PHP: rebuild it with `emulator images --build --force` (%v)", DebianRuntimeImage, err)
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = in.Stop(context.Background()) })
	res, err := invokeLogged(t, in, `{"name":"d"}`, "php handler got d", "php stderr line")
	got := testutil.DecodePayload(t, res, err)
	if got["cwd"] != "/var/user" || got["request_id"] != "req-d" || got["function"] != "dfn" {
		t.Errorf("payload %v, want cwd /var/user, request req-d, function dfn", got)
	}
	_, err = dockerInvoke(t, in, `{"mode":"throw","name":"x"}`)
	e := testutil.WantStatus(t, err, scferr.ErrUserCode, "boom x")
	if !strings.Contains(e.StackTrace, "/var/user/index.php") {
		t.Errorf("stack %q lacks /var/user/index.php", e.StackTrace)
	}
}
