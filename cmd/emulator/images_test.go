package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/docker"
)

// nopeImage is in no registry: its pull fails (at once without network),
// so nothing is ever really pulled.
const nopeImage = "scf-emulator-test/nope:1"

func TestConsolePullProgressPlain(t *testing.T) {
	var out bytes.Buffer
	c := &console{out: &out}
	img := "python:3.9-slim"
	for _, p := range []runtime.PullProgress{
		{Image: img},
		{Image: img, Layers: 2},
		{Image: img, Layers: 2, Bytes: 500, Total: 2_000_000},
		{Image: img, Layers: 2, LayersDone: 1, Bytes: 1_000_000, Total: 2_000_000},
		{Image: img, Layers: 2, LayersDone: 2, Bytes: 2_000_000, Total: 2_000_000},
		{Image: img, Layers: 2, LayersDone: 2, Bytes: 2_000_000, Total: 2_000_000, Done: true},
		{Image: "node:16-slim"},
		{Image: "node:16-slim", Done: true, Err: errors.New("no such host")},
	} {
		c.Pull(p)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"pull           python:3.9-slim ...",
		"pull           python:3.9-slim 1/2 layers, 1.0 MB of 2.0 MB",
		"pull           python:3.9-slim 2/2 layers, 2.0 MB of 2.0 MB",
		"pull           python:3.9-slim 2/2 layers, 2.0 MB of 2.0 MB done",
		"pull           node:16-slim ...",
		"pull           node:16-slim failed: no such host",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d (start, each layer done, end):\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), w) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("plain output rewrites lines in place")
	}
}

// needDockerImages skips unless a daemon answers and the Debian image,
// which the python function falls back to, exists.
func needDockerImages(t *testing.T) {
	t.Helper()
	im, err := docker.OpenImages(t.Context(), nil)
	if err != nil {
		t.Skipf("no docker daemon: %v", err)
	}
	defer im.Close()
	st, err := im.Status(t.Context(), runtime.Spec{Runtime: "CustomRuntime"})
	if err != nil || !st.Present {
		t.Skipf("%s is missing: build it with `go run ./cmd/emulator images --build`", docker.DebianRuntimeImage)
	}
}

// TestUpUnavailableImage: with an image that cannot be had, `up --runtime
// docker` stops at start-up with exit 2 naming it, and `--runtime auto`
// serves the function on the process runtime and says so.
func TestUpUnavailableImage(t *testing.T) {
	needDockerImages(t)
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"up", "-f", cfg, "--runtime", "docker", "--image", "Python3.9=" + nopeImage,
		"--state-dir", filepath.Join(t.TempDir(), "s1"), "--gateway-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, s := range []string{"function B", nopeImage, "could not be pulled", "docker pull " + nopeImage, "--runtime auto"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "pull           "+nopeImage+" failed") {
		t.Errorf("stdout does not show the failed pull:\n%s", stdout.String())
	}

	app, err := NewApp(t.Context(), AppConfig{ConfigPath: cfg, Runtime: "auto", Images: []string{"Python3.9=" + nopeImage},
		GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", StateDir: filepath.Join(t.TempDir(), "s2")})
	if err != nil {
		t.Fatalf("NewApp(auto): %v", err)
	}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if note := app.imageNote("B"); !strings.Contains(note, "process runtime") || !strings.Contains(note, nopeImage) {
		t.Errorf("banner note for B %q, want the process runtime and the image", note)
	}
	if a := get(t, app.GatewayURL()+"/release/hello", nil); a.Status != 200 {
		t.Fatalf("GET /release/hello on the process fallback: %d %s", a.Status, a.Raw)
	}
}

func TestImagesCommand(t *testing.T) {
	needDockerImages(t)
	cfg := workspace(t)
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"images", "-f", cfg, "--image", "python=" + nopeImage}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, s := range []string{
		"FUNCTION", "B ", nopeImage, "else the function runs on the process runtime",
		"hello-node", "node:16-slim", // missing here or present: either way listed
		"hello-custom", docker.DebianRuntimeImage + "  present",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if code := run(t.Context(), []string{"images", "--only", "static"}, &stdout, &stderr); code != 2 {
		t.Errorf("--only without --build: exit %d, want 2", code)
	}
}
