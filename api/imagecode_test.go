package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// imageReq is a CreateFunction of an image function as the platform's docs
// write it: no zip, Code.ImageConfig with the image and its start command.
func imageReq(name string, ic *scf.ImageConfig) *scf.CreateFunctionRequest {
	r := scf.NewCreateFunctionRequest()
	r.FunctionName = s(name)
	r.Type = s("HTTP")
	r.Code = &scf.Code{ImageConfig: ic}
	return r
}

func getImageFunction(t *testing.T, c *scf.Client, name, qualifier string) *scf.GetFunctionResponseParams {
	t.Helper()
	gr := scf.NewGetFunctionRequest()
	gr.FunctionName = s(name)
	if qualifier != "" {
		gr.Qualifier = s(qualifier)
	}
	resp, err := c.GetFunction(gr)
	must(t, err)
	return resp.Response
}

// An image function created through the official SDK is stored by the real
// registry with its image and command, comes back from GetFunction in the
// platform's shape, takes a new image with UpdateFunctionCode, and its
// published version keeps the image it was published with.
func TestCreateImageFunction(t *testing.T) {
	b := newRealBackend(t, t.TempDir())
	hs := httptest.NewServer(New(b, Options{}))
	t.Cleanup(hs.Close)
	c := sdkClient(t, hs.URL, "id", "key")

	_, err := c.CreateFunction(imageReq("web", &scf.ImageConfig{
		ImageType: s("personal"), ImageUri: s("ccr.ccs.tencentyun.com/demo/web:v1"),
		Command: s("/server"), Args: s("--port 9000"), ImagePort: common.Int64Ptr(9000),
	}))
	must(t, err)
	f, err := b.Function("web")
	must(t, err)
	want := registry.ImageConfig{ImageURI: "ccr.ccs.tencentyun.com/demo/web:v1", Command: "/server", Args: "--port 9000"}
	if f.Config.ImageConfig == nil || *f.Config.ImageConfig != want || f.Config.Runtime != "CustomRuntime" || f.Config.Type != registry.TypeHTTP {
		t.Fatalf("stored config = %+v, want CustomRuntime http with image %+v", f.Config, want)
	}
	got := getImageFunction(t, c, "web", "")
	ic := got.ImageConfig
	if ic == nil || str(ic.ImageUri) != want.ImageURI || str(ic.Command) != "/server" || str(ic.Args) != "--port 9000" ||
		str(ic.ImageType) != "personal" || ic.ImagePort == nil || *ic.ImagePort != 9000 || str(got.Runtime) != "CustomRuntime" {
		t.Errorf("GetFunction ImageConfig = %+v, runtime %s", ic, str(got.Runtime))
	}

	pr := scf.NewPublishVersionRequest()
	pr.FunctionName = s("web")
	_, err = c.PublishVersion(pr)
	must(t, err)
	// EntryPoint is the platform's retired name of Command.
	ur := scf.NewUpdateFunctionCodeRequest()
	ur.FunctionName = s("web")
	ur.Code = &scf.Code{ImageConfig: &scf.ImageConfig{ImageUri: s("demo/web:v2"), EntryPoint: s("/server2")}}
	_, err = c.UpdateFunctionCode(ur)
	must(t, err)
	if ic := getImageFunction(t, c, "web", "$LATEST").ImageConfig; ic == nil || str(ic.ImageUri) != "demo/web:v2" || str(ic.Command) != "/server2" || str(ic.Args) != "" {
		t.Errorf("$LATEST after UpdateFunctionCode: ImageConfig = %+v, want demo/web:v2 running /server2", ic)
	}
	if ic := getImageFunction(t, c, "web", "1").ImageConfig; ic == nil || str(ic.ImageUri) != want.ImageURI {
		t.Errorf("version 1 ImageConfig = %+v, want the published %s", ic, want.ImageURI)
	}

	// A zip function has no ImageConfig, and the kinds do not mix.
	_, err = c.CreateFunction(createReq(t, "zipped", nil))
	must(t, err)
	if ic := getImageFunction(t, c, "zipped", "").ImageConfig; ic != nil {
		t.Errorf("zip function's ImageConfig = %+v, want null", ic)
	}
	ur.FunctionName = s("zipped")
	_, err = c.UpdateFunctionCode(ur)
	wantCode(t, err, "UnsupportedOperation.UpdateFunctionCode")
	ur = scf.NewUpdateFunctionCodeRequest()
	ur.FunctionName = s("web")
	ur.ZipFile = s(codeZip(t, "v1"))
	_, err = c.UpdateFunctionCode(ur)
	wantCode(t, err, "UnsupportedOperation.UpdateFunctionCode")
	if ic := getImageFunction(t, c, "web", "").ImageConfig; ic == nil || str(ic.ImageUri) != "demo/web:v2" {
		t.Errorf("a refused update changed the image: %+v", ic)
	}
}

// Bad image parameters get the platform's code naming the field, and create
// nothing.
func TestCreateImageFunctionRefused(t *testing.T) {
	b := newRealBackend(t, t.TempDir())
	hs := httptest.NewServer(New(b, Options{}))
	t.Cleanup(hs.Close)
	c := sdkClient(t, hs.URL, "id", "key")
	uri := s("demo/web:v1")
	tests := []struct {
		name   string
		mutate func(r *scf.CreateFunctionRequest)
		want   string
		msgHas string
	}{
		{"no image uri", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageUri = nil }, "InvalidParameterValue.Code", "ImageUri is required"},
		{"spaces in uri", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageUri = s("demo/web v1") }, "InvalidParameterValue.Code", "without spaces"},
		{"capitals in repository", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageUri = s("Demo/Web:v1") }, "InvalidParameterValue.Code", "lowercase"},
		{"empty tag", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageUri = s("demo/web:") }, "InvalidParameterValue.Code", "tag"},
		{"bad image type", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageType = s("public") }, "InvalidParameterValue.Code", "ImageType"},
		{"enterprise without registry", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImageType = s("enterprise") }, "InvalidParameterValue.Code", "RegistryId"},
		{"job image", func(r *scf.CreateFunctionRequest) { r.Code.ImageConfig.ImagePort = common.Int64Ptr(-1) }, "InvalidParameterValue.Code", "ImagePort -1"},
		{"entrypoint and command differ", func(r *scf.CreateFunctionRequest) {
			r.Code.ImageConfig.EntryPoint, r.Code.ImageConfig.Command = s("/a"), s("/b")
		}, "InvalidParameterValue.Code", "EntryPoint"},
		{"zip and image", func(r *scf.CreateFunctionRequest) { r.Code.ZipFile = s(codeZip(t, "v0")) }, "InvalidParameterValue.Code", "both ZipFile and ImageConfig"},
		{"code runtime", func(r *scf.CreateFunctionRequest) { r.Runtime = s("Python3.9") }, "InvalidParameterValue.Runtime", "CustomRuntime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := imageReq("fresh", &scf.ImageConfig{ImageUri: uri})
			tc.mutate(r)
			_, err := c.CreateFunction(r)
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
			if _, err := b.Function("fresh"); err == nil {
				t.Error("a refused CreateFunction created the function")
			}
		})
	}
}
