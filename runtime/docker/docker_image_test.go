//go:build unix

package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

func TestDefaultImage(t *testing.T) {
	tests := map[string]string{
		"Python3.9":     "python:3.9-slim",
		"python3.10":    "python:3.10-slim",
		"Python2.7":     "python:2.7-slim",
		"Nodejs16.13":   "node:16-slim",
		"Nodejs12.16":   "node:12-slim",
		"Nodejs18.15":   "node:18-slim",
		"Go1":           StaticRuntimeImage,
		"CustomRuntime": DebianRuntimeImage,
		"Java8":         "",
		"Php7":          "",
		"Python":        "",
	}
	for rt, want := range tests {
		if got := DefaultImage(rt); got != want {
			t.Errorf("DefaultImage(%q) = %q, want %q", rt, got, want)
		}
	}
}

func TestImagesFromEnv(t *testing.T) {
	got := ImagesFromEnv([]string{
		"SCF_EMULATOR_IMAGE_PYTHON=corp/python:3.9",
		"SCF_EMULATOR_IMAGE_NODEJS16_13=corp/node:16",
		"SCF_EMULATOR_IMAGE_CUSTOMRUNTIME=corp/bash",
		"SCF_EMULATOR_IMAGE_GO1=",  // empty: ignored
		"SCF_EMULATOR_IMAGE_=x",    // no key: ignored
		"PATH=/usr/bin",            // unrelated
		"SCF_EMULATOR_IMAGES=y",    // not the prefix
		"SCF_EMULATOR_IMAGE_JAVA8", // no value
	})
	want := map[string]string{"python": "corp/python:3.9", "nodejs16.13": "corp/node:16", "customruntime": "corp/bash"}
	if !maps.Equal(got, want) {
		t.Errorf("ImagesFromEnv = %v, want %v", got, want)
	}
}

func TestParseImageOverride(t *testing.T) {
	tests := []struct {
		in, rt, image string
		err           string
	}{
		{in: "python=python:3.9-slim", rt: "python", image: "python:3.9-slim"},
		{in: "Nodejs16.13=registry.local:5000/node:16", rt: "Nodejs16.13", image: "registry.local:5000/node:16"},
		{in: " go1 = scratch-go ", rt: "go1", image: "scratch-go"},
		{in: "python", err: "is not RUNTIME=IMAGE"},
		{in: "=img", err: "is not RUNTIME=IMAGE"},
		{in: "python=", err: "is not RUNTIME=IMAGE"},
		{in: "java8=openjdk", err: `runtime "java8" is not`},
	}
	for _, tc := range tests {
		rt, image, err := ParseImageOverride(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseImageOverride(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || rt != tc.rt || image != tc.image {
			t.Errorf("ParseImageOverride(%q) = %q, %q, %v; want %q, %q", tc.in, rt, image, err, tc.rt, tc.image)
		}
	}
}

func TestContainerPrefix(t *testing.T) {
	tests := []struct {
		spec runtime.Spec
		want string
	}{
		{runtime.Spec{Function: "B", Version: "$LATEST", CodeHash: "0123456789abcdef"}, "scf-B-latest-01234567"},
		{runtime.Spec{Function: "hello_world", Version: "12", CodeHash: "sha256:abc"}, "scf-hello_world-12-sha256-a"},
		{runtime.Spec{Function: "a b/c", Version: "1", CodeHash: ""}, "scf-a-b-c-1-0"},
		{runtime.Spec{Function: "$$$", Version: "$", CodeHash: "x"}, "scf-fn-v-x"},
	}
	for _, tc := range tests {
		if got := containerPrefix(tc.spec); got != tc.want {
			t.Errorf("containerPrefix(%+v) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}

func TestDynamicallyLinked(t *testing.T) {
	exe, err := os.Executable() // the test binary: dynamic or static depending on cgo
	if err != nil {
		t.Fatal(err)
	}
	_ = dynamicallyLinked(exe) // must not fail on a real ELF file
	script := filepath.Join(t.TempDir(), "main")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if dynamicallyLinked(script) {
		t.Error("a script counts as dynamically linked")
	}
}

// writeDockerContext writes a docker context the way the docker CLI does.
func writeDockerContext(t *testing.T, configDir, name, host string, skipTLS bool, tlsFiles ...string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(configDir, "contexts", "meta", id)
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	skip := "false"
	if skipTLS {
		skip = "true"
	}
	body := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":` + skip + `}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	tlsDir := filepath.Join(configDir, "contexts", "tls", id, "docker")
	for _, f := range tlsFiles {
		if err := os.MkdirAll(tlsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tlsDir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolveDockerEndpoint(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	writeDockerContext(t, cfg, "colima", "unix:///home/u/.colima/docker.sock", false)
	writeDockerContext(t, cfg, "remote", "tcp://10.0.0.5:2376", false, "ca.pem", "cert.pem", "key.pem")
	writeDockerContext(t, cfg, "insecure", "tcp://10.0.0.6:2376", true)
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{},"currentContext":"colima"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir() // a DOCKER_CONFIG with no current context

	tests := []struct {
		name string
		env  map[string]string
		want dockerEndpoint
		err  string
	}{
		{name: "DOCKER_HOST wins", env: map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONTEXT": "remote"}, want: dockerEndpoint{host: "tcp://127.0.0.1:2375"}},
		{name: "current context of config.json", want: dockerEndpoint{host: "unix:///home/u/.colima/docker.sock", context: "colima"}},
		{name: "DOCKER_CONTEXT wins over config.json", env: map[string]string{"DOCKER_CONTEXT": "remote"}, want: dockerEndpoint{
			host: "tcp://10.0.0.5:2376", context: "remote",
			caFile:   filepath.Join(cfg, "contexts", "tls", hashName("remote"), "docker", "ca.pem"),
			certFile: filepath.Join(cfg, "contexts", "tls", hashName("remote"), "docker", "cert.pem"),
			keyFile:  filepath.Join(cfg, "contexts", "tls", hashName("remote"), "docker", "key.pem"),
		}},
		{name: "default context", env: map[string]string{"DOCKER_CONTEXT": "default"}, want: dockerEndpoint{}},
		{name: "DOCKER_CONFIG without a context", env: map[string]string{"DOCKER_CONFIG": other}, want: dockerEndpoint{}},
		{name: "unknown context", env: map[string]string{"DOCKER_CONTEXT": "nope"}, err: `docker context "nope"`},
		{name: "skipping TLS verification is refused", env: map[string]string{"DOCKER_CONTEXT": "insecure"}, err: "skips TLS verification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			got, err := resolveDockerEndpoint(getenv, func() (string, error) { return home, nil })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("resolveDockerEndpoint = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	t.Run("no home", func(t *testing.T) {
		got, err := resolveDockerEndpoint(func(string) string { return "" }, func() (string, error) { return "", errors.New("no home") })
		if err != nil || got != (dockerEndpoint{}) {
			t.Errorf("= %+v, %v; want the default", got, err)
		}
	})
}

func hashName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func TestNewDockerWithoutDaemon(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-daemon.sock"))
	if DockerAvailable(t.Context()) {
		t.Error("DockerAvailable = true with no daemon at DOCKER_HOST")
	}
	_, err := NewDocker(t.Context(), DockerOptions{WorkDir: t.TempDir()})
	if !errors.Is(err, ErrNoDocker) {
		t.Fatalf("NewDocker error = %v, want ErrNoDocker", err)
	}
	for _, s := range []string{"no-daemon.sock", "systemctl start docker", "--runtime process"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestDockerFakeImages(t *testing.T) {
	tests := []struct {
		name     string
		images   map[string]bool // present besides nothing
		pullErr  error           // the fake's answer to a pull
		opts     DockerOptions
		spec     func(runtime.Spec) runtime.Spec
		want     string   // image the container got; "" when Start fails
		texts    []string // in the 445 when it fails
		imported bool
	}{
		{
			name:   "default python image present",
			images: map[string]bool{"python:3.9-slim": true, DebianRuntimeImage: true},
			spec:   func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.9"; return s },
			want:   "python:3.9-slim",
		},
		{
			name:    "missing default, failed pull: falls back to the debian image",
			images:  map[string]bool{DebianRuntimeImage: true},
			pullErr: errNoRegistry,
			spec:    func(s runtime.Spec) runtime.Spec { s.Runtime = "Nodejs16.13"; return s },
			want:    DebianRuntimeImage,
		},
		{
			name:   "nothing present, pull never: the error names the image and both ways to get it",
			images: map[string]bool{},
			opts:   DockerOptions{Pull: PullNever},
			spec:   func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.10"; return s },
			texts:  []string{"python:3.10-slim", "docker pull python:3.10-slim", "emulator images --build", "--pull=never"},
		},
		{
			name:    "configured image missing and not pullable: no fallback",
			images:  map[string]bool{DebianRuntimeImage: true},
			pullErr: errors.New("dial tcp: lookup registry-1.docker.io: no such host"),
			opts:    DockerOptions{Images: map[string]string{"Python": "corp/python:3.9"}},
			spec:    func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.9"; return s },
			texts:   []string{"corp/python:3.9", "could not be pulled", "docker pull corp/python:3.9"},
		},
		{
			name:   "runtime.Spec.Image wins over overrides",
			images: map[string]bool{"mine:1": true, "corp/python:3.9": true},
			opts:   DockerOptions{Images: map[string]string{"python3.9": "corp/python:3.9"}},
			spec:   func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.9"; s.Image = "mine:1"; return s },
			want:   "mine:1",
		},
		{
			name:   "exact runtime override wins over the family",
			images: map[string]bool{"a:1": true, "b:1": true},
			opts:   DockerOptions{Images: map[string]string{"nodejs": "a:1", "Nodejs18.15": "b:1"}},
			spec:   func(s runtime.Spec) runtime.Spec { s.Runtime = "Nodejs18.15"; return s },
			want:   "b:1",
		},
		{
			name:   "missing image is pulled by default",
			images: map[string]bool{},
			spec:   func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.9"; return s },
			want:   "python:3.9-slim",
		},
		{
			name:     "static image is created when missing",
			images:   map[string]bool{},
			opts:     DockerOptions{Images: map[string]string{"customruntime": StaticRuntimeImage}},
			want:     StaticRuntimeImage,
			imported: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t, echoAPI)
			f.images, f.pullErr = tc.images, tc.pullErr
			d := newFakeRuntime(t, f, tc.opts)
			spec := fakeSpec(t)
			if tc.spec != nil {
				spec = tc.spec(spec)
			}
			in, err := fakeStart(t, d, spec)
			if tc.want == "" {
				testutil.WantStatus(t, err, scferr.ErrContainerInit, tc.texts...)
				if !errors.Is(err, runtime.ErrImageUnavailable) {
					t.Errorf("error %v does not match runtime.ErrImageUnavailable", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer in.Stop(context.Background())
			fc, err := f.get(containerOf(t, in).id)
			if err != nil {
				t.Fatal(err)
			}
			if fc.cfg.image != tc.want {
				t.Errorf("image %q, want %q", fc.cfg.image, tc.want)
			}
			if got := len(f.imported) > 0; got != tc.imported {
				t.Errorf("imported %v, want %v", f.imported, tc.imported)
			}
		})
	}
}
