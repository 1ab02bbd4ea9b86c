package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// importImageFn builds the docker runtime's image-function test server as
// the whole file system of a FROM-scratch image, imported from a tar: no
// registry is needed. It skips without a daemon or a Go toolchain; the
// image is removed when the test ends.
func importImageFn(t *testing.T, ref string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go toolchain not found: %v", err)
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Skipf("no docker client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		t.Skipf("no docker daemon: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "../../runtime/internal/testutil/testdata/imagefn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build imagefn: %v\n%s", err, out)
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
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref,
		image.ImportOptions{Changes: []string{`ENTRYPOINT ["/server"]`}})
	if err != nil {
		t.Fatalf("import %s: %v", ref, err)
	}
	_, _ = bytes.NewBuffer(nil).ReadFrom(rc)
	_ = rc.Close()
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.WithoutCancel(t.Context()), ref, image.RemoveOptions{Force: true})
	})
}

// TestCreateImageFunctionInvokeDocker: an image function created through
// the official SDK's CreateFunction (Code.ImageConfig, no zip) runs on the
// Docker runtime: Invoke reaches the image's server as POST /event-invoke
// with the request id, and the configured Args reach the process.
func TestCreateImageFunctionInvokeDocker(t *testing.T) {
	ref := "scf-emulator-test/apiimage:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	importImageFn(t, ref)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(cfg, []byte("functions: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{
		ConfigPath: cfg, Runtime: "docker", GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: filepath.Join(dir, "state"), Seed: 7, IdleTimeout: time.Minute, MaxInstances: 2,
	})
	if err != nil {
		cancel()
		t.Skipf("docker runtime unavailable: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	c := sdkClient(t, app)

	cf := scf.NewCreateFunctionRequest()
	cf.FunctionName = common.StringPtr("img")
	cf.Code = &scf.Code{ImageConfig: &scf.ImageConfig{
		ImageType: common.StringPtr("personal"), ImageUri: common.StringPtr(ref), Args: common.StringPtr("--from api"),
	}}
	if _, err := c.CreateFunction(cf); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	inv := scf.NewInvokeRequest()
	inv.FunctionName = common.StringPtr("img")
	inv.ClientContext = common.StringPtr(`{"name":"api"}`)
	resp, err := c.Invoke(inv)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	r := resp.Response.Result
	if r == nil || r.InvokeResult == nil || *r.InvokeResult != 0 {
		t.Fatalf("Invoke = %s, want success", resp.ToJsonString())
	}
	var got struct {
		RequestID string         `json:"request_id"`
		Event     map[string]any `json:"event"`
		Args      []string       `json:"args"`
	}
	if err := json.Unmarshal([]byte(*r.RetMsg), &got); err != nil {
		t.Fatalf("RetMsg %q: %v", *r.RetMsg, err)
	}
	if r.FunctionRequestId == nil || got.RequestID != *r.FunctionRequestId || got.Event["name"] != "api" ||
		len(got.Args) != 2 || got.Args[0] != "--from" || got.Args[1] != "api" {
		t.Errorf("image server saw %+v, want FunctionRequestId %v, the event and args [--from api]", got, common.StringValues([]*string{r.FunctionRequestId}))
	}
}
