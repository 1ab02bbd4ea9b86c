//go:build unix

package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// buildImageFn makes the image of an image function without any registry:
// testdata/imagefn, a static binary, is the whole file system (FROM
// scratch plus /tmp), imported from a tar. It is removed when the test ends.
func buildImageFn(t *testing.T, d *Docker) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go toolchain not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command(goBin, "build", "-o", bin, testutil.Testdata(t, "imagefn"))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/imagefn: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777})
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "server", Mode: 0o755, Size: int64(len(data))})
	_, _ = tw.Write(data)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ref := "scf-emulator-test/imagefn:" + d.Session()
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	if err := d.api.importImage(ctx, ref, &buf, []string{`ENTRYPOINT ["/server"]`, `CMD ["from-image-cmd"]`}); err != nil {
		t.Fatalf("import %s: %v", ref, err)
	}
	t.Cleanup(func() {
		if s, ok := d.api.(*sdkClient); ok {
			_, _ = s.c.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
		}
	})
	return ref
}

func TestDockerImageFunction(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	ref := buildImageFn(t, d)
	code := t.TempDir() // an image function's code is its image

	t.Run("event", func(t *testing.T) {
		spec := dockerSpec(code, "CustomRuntime", "event")
		spec.ImageConfig = &runtime.ImageConfig{ImageURI: ref}
		in := dockerStart(t, d, spec)
		if in.Addr() != "" {
			t.Errorf("Addr = %q, want \"\" for an event function", in.Addr())
		}
		res, err := invokeLogged(t, in, `{"name":"img"}`, "imagefn handled req-d")
		got := testutil.DecodePayload(t, res, err)
		ev, _ := got["event"].(map[string]any)
		if got["request_id"] != "req-d" || ev["name"] != "img" {
			t.Errorf("payload %v, want the event and X-Scf-Request-Id req-d", got)
		}
		if args, _ := got["args"].([]any); len(args) != 1 || args[0] != "from-image-cmd" {
			t.Errorf("args %v, want the image's CMD", got["args"])
		}
		if got["tmp_rw"] != true || got["root_rw"] != false {
			t.Errorf("tmp writable %v, / writable %v: want only /tmp", got["tmp_rw"], got["root_rw"])
		}
		_, err = dockerInvoke(t, in, `{"mode":"error"}`)
		testutil.WantStatus(t, err, scferr.ErrUserCode, "500", "imagefn failed on request")
		res, err = dockerInvoke(t, in, `{"mode":"text"}`)
		if err != nil || string(res.Payload) != `"plain text"` {
			t.Errorf("text answer: payload %s, %v; want the JSON string \"plain text\"", res.Payload, err)
		}
		info, err := inspectContainer(t, d, containerOf(t, in).id)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(info.mounts, func(m bindMount) bool { return m.target == containerLangDir }) {
			t.Errorf("mounts %+v: an image function gets no /var/lang", info.mounts)
		}
	})
	t.Run("web with command and args", func(t *testing.T) {
		spec := dockerSpec(code, "CustomRuntime", "http")
		spec.ImageConfig = &runtime.ImageConfig{ImageURI: ref, Command: "/server", Args: "--one two"}
		in := dockerStart(t, d, spec)
		var got map[string]any
		testutil.GetJSON(t, "http://"+in.Addr()+"/hello", &got)
		if got["web"] != true || got["path"] != "/hello" {
			t.Errorf("response %v, want the web handler at /hello", got)
		}
		if args, _ := got["args"].([]any); len(args) != 2 || args[0] != "--one" || args[1] != "two" {
			t.Errorf("args %v, want [--one two] from ImageConfig.Args", got["args"])
		}
	})
	t.Run("process runtime refuses", func(t *testing.T) {
		spec := dockerSpec(code, "CustomRuntime", "event")
		spec.ImageConfig = &runtime.ImageConfig{ImageURI: ref}
		_, err := newProcessRuntime(t).Start(t.Context(), spec)
		testutil.WantStatus(t, err, scferr.ErrContainerInit, "image function", "--runtime docker")
	})
}
