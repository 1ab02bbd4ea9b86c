package api

import (
	"encoding/base64"
	"io/fs"
	"maps"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func createReq(t testing.TB, name string, mutate func(r *scf.CreateFunctionRequest)) *scf.CreateFunctionRequest {
	r := scf.NewCreateFunctionRequest()
	r.FunctionName = s(name)
	r.Runtime = s("Python3.9")
	r.Code = &scf.Code{ZipFile: s(codeZip(t, "v0"))}
	if mutate != nil {
		mutate(r)
	}
	return r
}

func env(kv ...string) *scf.Environment {
	e := &scf.Environment{Variables: []*scf.Variable{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Variables = append(e.Variables, &scf.Variable{Key: s(kv[i]), Value: s(kv[i+1])})
	}
	return e
}

func TestCreateFunction(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.CreateFunction(createReq(t, "B", func(r *scf.CreateFunctionRequest) {
		r.MemorySize, r.Timeout = common.Int64Ptr(256), common.Int64Ptr(10)
		r.Environment = env("GREETING", "hi")
		r.Description = s("grey release demo")
		r.Code.ZipFile = s(codeZip(t, "v0", zipFile{name: "bin/run.sh", body: "#!/bin/sh\n", mode: 0o755}))
		// Cloud-only settings are accepted and ignored.
		r.Role, r.ClsLogsetId, r.InstallDependency = s("SCF_QcsRole"), s(""), s("FALSE")
		r.VpcConfig = &scf.VpcConfig{VpcId: s(""), SubnetId: s("")}
		r.Tags = []*scf.Tag{{Key: s("team"), Value: s("a")}}
		r.InitTimeout = common.Int64Ptr(65)
	}))
	must(t, err)
	gr := scf.NewGetFunctionRequest()
	gr.FunctionName = s("B")
	resp, err := h.client.GetFunction(gr)
	must(t, err)
	got := resp.Response
	if *got.Handler != "index.main_handler" || *got.MemorySize != 256 || *got.Timeout != 10 || *got.Runtime != "Python3.9" ||
		*got.Description != "grey release demo" || *got.Status != "Active" || *got.Type != "Event" || *got.FunctionVersion != "$LATEST" ||
		len(got.Environment.Variables) != 1 || *got.Environment.Variables[0].Key != "GREETING" {
		t.Errorf("GetFunction = %s", resp.ToJsonString())
	}
	code := h.backend.codeOf("B")
	if !strings.Contains(code["index.py"], `TAG = "v0"`) || code["bin/run.sh"] != "x #!/bin/sh\n" {
		t.Errorf("stored code = %v, want index.py with tag v0 and an executable bin/run.sh", code)
	}
	// Unpadded base64 and line breaks, as some encoders write it, are fine.
	raw := strings.TrimRight(codeZip(t, "v1"), "=")
	wrapped := raw[:10] + "\n" + raw[10:]
	_, err = h.client.CreateFunction(createReq(t, "C2", func(r *scf.CreateFunctionRequest) { r.Code.ZipFile = s(wrapped) }))
	must(t, err)
}

func TestCreateFunctionDefaults(t *testing.T) {
	tests := []struct {
		runtime, typ, handler string
	}{
		{"Python3.9", "", "index.main_handler"},
		{"Nodejs16.13", "Event", "index.main_handler"},
		{"Go1", "", "main"},
		{"CustomRuntime", "", "bootstrap"},
		{"CustomRuntime", "HTTP", "scf_bootstrap"},
		{"Nodejs18.15", "HTTP", "scf_bootstrap"},
	}
	for _, tc := range tests {
		t.Run(tc.runtime+tc.typ, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.client.CreateFunction(createReq(t, "fn", func(r *scf.CreateFunctionRequest) {
				r.Runtime = s(tc.runtime)
				if tc.typ != "" {
					r.Type = s(tc.typ)
				}
			}))
			must(t, err)
			f, err := h.backend.Function("fn")
			must(t, err)
			wantType := registry.TypeEvent
			if tc.typ == "HTTP" {
				wantType = registry.TypeHTTP
			}
			if f.Config.Handler != tc.handler || f.Config.MemorySize != 128 || f.Config.Timeout != 3 || f.Config.Type != wantType {
				t.Errorf("config = %+v, want handler %s, 128 MB, 3 s, type %s", f.Config, tc.handler, wantType)
			}
		})
	}
}

func TestCreateFunctionErrors(t *testing.T) {
	h := newHarness(t)
	slip := zipB64(t, zipFile{name: "../escape.py", body: "x"})
	link := zipB64(t, indexPy("v0"), zipFile{name: "etc", body: "../../../etc", mode: fs.ModeSymlink | 0o777})
	tests := []struct {
		name   string
		mutate func(r *scf.CreateFunctionRequest)
		want   string
		msgHas string
	}{
		{"no name", func(r *scf.CreateFunctionRequest) { r.FunctionName = nil }, "MissingParameter", "FunctionName"},
		{"name starts with a digit", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("1abc") }, "InvalidParameterValue.FunctionName", "1abc"},
		{"name ends with a dash", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("ab-") }, "InvalidParameterValue.FunctionName", "ab-"},
		{"name ends with an underscore", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("ab_") }, "InvalidParameterValue.FunctionName", "ends with '_'"},
		{"name not ascii", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("fünf") }, "InvalidParameterValue.FunctionName", "holds 'ü'"},
		{"name too long", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("a" + strings.Repeat("b", 60)) }, "InvalidParameterValue.FunctionName", "1 to 60"},
		{"exists", func(r *scf.CreateFunctionRequest) { r.FunctionName = s("hello") }, "ResourceInUse.Function", "hello"},
		{"other namespace", func(r *scf.CreateFunctionRequest) { r.Namespace = s("prod") }, "ResourceNotFound.Namespace", "prod"},
		{"no runtime", func(r *scf.CreateFunctionRequest) { r.Runtime = nil }, "MissingParameter.Runtime", "Python3.9"},
		{"unknown runtime", func(r *scf.CreateFunctionRequest) { r.Runtime = s("Python2.7") }, "InvalidParameterValue.Runtime", "Python2.7"},
		{"bad type", func(r *scf.CreateFunctionRequest) { r.Type = s("Web") }, "InvalidParameterValue.Type", "Web"},
		{"bad handler", func(r *scf.CreateFunctionRequest) { r.Handler = s("index") }, "InvalidParameterValue.Handler", "file.function"},
		{"memory not a step", func(r *scf.CreateFunctionRequest) { r.MemorySize = common.Int64Ptr(100) }, "InvalidParameterValue.MemorySize", "100"},
		{"memory over the limit", func(r *scf.CreateFunctionRequest) { r.MemorySize = common.Int64Ptr(4096) }, "LimitExceeded.Memory", "3072"},
		{"timeout zero", func(r *scf.CreateFunctionRequest) { r.Timeout = common.Int64Ptr(0) }, "InvalidParameterValue", "Timeout 0"},
		{"timeout over the limit", func(r *scf.CreateFunctionRequest) { r.Timeout = common.Int64Ptr(901) }, "LimitExceeded.Timeout", "900"},
		{"init timeout over the limit", func(r *scf.CreateFunctionRequest) { r.InitTimeout = common.Int64Ptr(301) }, "LimitExceeded.InitTimeout", "300"},
		{"env key", func(r *scf.CreateFunctionRequest) { r.Environment = env("1X", "v") }, "InvalidParameterValue.Environment", "1X"},
		{"env no key", func(r *scf.CreateFunctionRequest) {
			r.Environment = &scf.Environment{Variables: []*scf.Variable{{Value: s("v")}}}
		}, "InvalidParameterValue.Environment", "no Key"},
		{"env twice", func(r *scf.CreateFunctionRequest) { r.Environment = env("A", "1", "A", "2") }, "InvalidParameterValue.Environment", "twice"},
		{"env reserved", func(r *scf.CreateFunctionRequest) { r.Environment = env("SCF_X", "v") }, "InvalidParameterValue.EnvironmentSystemProtect", "SCF_"},
		{"env too large", func(r *scf.CreateFunctionRequest) { r.Environment = env("BIG", strings.Repeat("v", 5000)) }, "InvalidParameterValue.EnvironmentExceededLimit", "4096"},
		{"description too long", func(r *scf.CreateFunctionRequest) { r.Description = s(strings.Repeat("d", 1001)) }, "InvalidParameterValue.Description", "1000"},
		{"layers", func(r *scf.CreateFunctionRequest) {
			r.Layers = []*scf.LayerVersionSimple{{LayerName: s("l"), LayerVersion: common.Int64Ptr(1)}}
		}, "UnsupportedOperation", "Layers"},
		{"websockets", func(r *scf.CreateFunctionRequest) { r.Type, r.ProtocolType = s("HTTP"), s("WS") }, "UnsupportedOperation", "WebSockets"},
		{"no code", func(r *scf.CreateFunctionRequest) { r.Code = nil }, "MissingParameter.Code", "Code.ZipFile"},
		{"empty code", func(r *scf.CreateFunctionRequest) { r.Code = &scf.Code{} }, "MissingParameter.Code", "Code.ZipFile"},
		{"code from cos", func(r *scf.CreateFunctionRequest) {
			r.Code = &scf.Code{CosBucketName: s("b"), CosObjectName: s("o.zip")}
		}, "InvalidParameterValue.Code", "CosBucketName"},
		{"code source", func(r *scf.CreateFunctionRequest) { r.CodeSource = s("Cos") }, "InvalidParameterValue.CodeSource", "Cos"},
		{"not base64", func(r *scf.CreateFunctionRequest) { r.Code.ZipFile = s("!!!!") }, "InvalidParameterValue.ZipFileBase64BinasciiError", "base64"},
		{"not a zip", func(r *scf.CreateFunctionRequest) {
			r.Code.ZipFile = s(base64.StdEncoding.EncodeToString([]byte("plain text")))
		}, "InvalidParameterValue.ZipFile", "not a valid zip"},
		{"zip slip", func(r *scf.CreateFunctionRequest) { r.Code.ZipFile = s(slip) }, "InvalidParameterValue.ZipFile", "../escape.py"},
		{"symlink out", func(r *scf.CreateFunctionRequest) { r.Code.ZipFile = s(link) }, "InvalidParameterValue.ZipFile", "etc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.CreateFunction(createReq(t, "fresh", tc.mutate))
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
			if _, err := h.backend.Function("fresh"); err == nil {
				t.Error("a refused CreateFunction created the function")
			}
		})
	}
}

// TestZipOver20MB checks the archive limit on the decoded size before any
// decoding; through the SDK the 28 MB body only costs time.
func TestZipOver20MB(t *testing.T) {
	_, err := decodeZip("Code.ZipFile", strings.Repeat("A", 28_000_000))
	if e, ok := err.(*apiError); !ok || e.Code != "InvalidParameterValue.ZipFile" || !strings.Contains(e.Message, "20 MB") {
		t.Errorf("err = %v, want InvalidParameterValue.ZipFile naming 20 MB", err)
	}
	if _, err := decodeZip("Code.ZipFile", strings.Repeat("A", 27_000_000)); err != nil {
		t.Errorf("a zip just under 20 MB: %v", err)
	}
}

func updateCodeReq(name string, mutate func(r *scf.UpdateFunctionCodeRequest)) *scf.UpdateFunctionCodeRequest {
	r := scf.NewUpdateFunctionCodeRequest()
	r.FunctionName = s(name)
	if mutate != nil {
		mutate(r)
	}
	return r
}

func TestUpdateFunctionCode(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.CreateFunction(createReq(t, "B", nil))
	must(t, err)

	_, err = h.client.UpdateFunctionCode(updateCodeReq("B", func(r *scf.UpdateFunctionCodeRequest) {
		r.ZipFile, r.Handler = s(codeZip(t, "v1")), s("index.other")
	}))
	must(t, err)
	f, _ := h.backend.Function("B")
	if !strings.Contains(h.backend.codeOf("B")["index.py"], `"v1"`) || f.Config.Handler != "index.other" {
		t.Errorf("after the update: code %v, handler %s", h.backend.codeOf("B"), f.Config.Handler)
	}
	if vs, _ := h.backend.Versions("B"); len(vs) != 1 {
		t.Errorf("an update without Publish published: %d versions", len(vs)-1)
	}

	_, err = h.client.UpdateFunctionCode(updateCodeReq("B", func(r *scf.UpdateFunctionCodeRequest) {
		r.Code, r.Publish = &scf.Code{ZipFile: s(codeZip(t, "v2"))}, s("TRUE")
	}))
	must(t, err)
	vs, _ := h.backend.Versions("B")
	if len(vs) != 2 || vs[1].Version != "1" || !strings.Contains(h.backend.codeOf("B")["index.py"], `"v2"`) {
		t.Errorf("Publish TRUE: versions %v, code %v", vs, h.backend.codeOf("B"))
	}
}

func TestUpdateFunctionCodeErrors(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.CreateFunction(createReq(t, "B", nil))
	must(t, err)
	zipV1 := codeZip(t, "v1")
	tests := []struct {
		name   string
		fn     string
		mutate func(r *scf.UpdateFunctionCodeRequest)
		want   string
		msgHas string
	}{
		{"missing function", "nope", func(r *scf.UpdateFunctionCodeRequest) { r.ZipFile = s(zipV1) }, "ResourceNotFound.Function", "nope"},
		{"code from emulator.yaml", "hello", func(r *scf.UpdateFunctionCodeRequest) { r.ZipFile = s(zipV1) }, "UnsupportedOperation.UpdateFunctionCode", "takes its code from"},
		{"no code", "B", nil, "MissingParameter.Code", "ZipFile"},
		{"two different zips", "B", func(r *scf.UpdateFunctionCodeRequest) {
			r.ZipFile, r.Code = s(zipV1), &scf.Code{ZipFile: s(codeZip(t, "v2"))}
		}, "InvalidParameterValue.Code", "twice"},
		{"cos", "B", func(r *scf.UpdateFunctionCodeRequest) { r.Code = &scf.Code{CosBucketName: s("b")} }, "InvalidParameterValue.Code", "CosBucketName"},
		{"publish not a flag", "B", func(r *scf.UpdateFunctionCodeRequest) { r.ZipFile, r.Publish = s(zipV1), s("yes") }, "InvalidParameterValue", "Publish"},
		{"bad handler", "B", func(r *scf.UpdateFunctionCodeRequest) { r.ZipFile, r.Handler = s(zipV1), s("nodot") }, "InvalidParameterValue.Handler", "nodot"},
		{"bad base64", "B", func(r *scf.UpdateFunctionCodeRequest) { r.ZipFile = s("%%%") }, "InvalidParameterValue.ZipFileBase64BinasciiError", "ZipFile"},
		{"zip slip", "B", func(r *scf.UpdateFunctionCodeRequest) {
			r.ZipFile = s(zipB64(t, zipFile{name: "/abs.py", body: "x"}))
		}, "InvalidParameterValue.ZipFile", "absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.UpdateFunctionCode(updateCodeReq(tc.fn, tc.mutate))
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
	if !strings.Contains(h.backend.codeOf("B")["index.py"], `"v0"`) {
		t.Errorf("a refused update changed the code: %v", h.backend.codeOf("B"))
	}
}

func configReq(name string, mutate func(r *scf.UpdateFunctionConfigurationRequest)) *scf.UpdateFunctionConfigurationRequest {
	r := scf.NewUpdateFunctionConfigurationRequest()
	r.FunctionName = s(name)
	if mutate != nil {
		mutate(r)
	}
	return r
}

func TestUpdateFunctionConfiguration(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.UpdateFunctionConfiguration(configReq("hello", func(r *scf.UpdateFunctionConfigurationRequest) {
		r.MemorySize, r.Description, r.Environment = common.Int64Ptr(256), s("new"), env("A", "b2")
		r.InitTimeout, r.Role = common.Int64Ptr(90), s("ignored")
	}))
	must(t, err)
	f, _ := h.backend.Function("hello")
	c := f.Config
	if c.MemorySize != 256 || c.Description != "new" || !maps.Equal(c.Environment, map[string]string{"A": "b2"}) ||
		c.Timeout != 3 || c.Handler != "index.main_handler" || c.Runtime != "Python3.9" {
		t.Errorf("config = %+v", c)
	}
	before, _ := h.backend.Versions("hello")
	_, err = h.client.UpdateFunctionConfiguration(configReq("hello", func(r *scf.UpdateFunctionConfigurationRequest) {
		r.Timeout, r.Publish, r.Environment = common.Int64Ptr(30), s("TRUE"), &scf.Environment{}
	}))
	must(t, err)
	f, _ = h.backend.Function("hello")
	after, _ := h.backend.Versions("hello")
	if f.Config.Timeout != 30 || len(f.Config.Environment) != 0 || len(after) != len(before)+1 {
		t.Errorf("config %+v, versions %d -> %d; want timeout 30, no env, one more version", f.Config, len(before), len(after))
	}
}

func TestUpdateFunctionConfigurationErrors(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.CreateFunction(createReq(t, "gofn", func(r *scf.CreateFunctionRequest) { r.Runtime = s("Go1") }))
	must(t, err)
	tests := []struct {
		name   string
		fn     string
		mutate func(r *scf.UpdateFunctionConfigurationRequest)
		want   string
		msgHas string
	}{
		{"missing function", "nope", nil, "ResourceNotFound.Function", "nope"},
		{"memory", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.MemorySize = common.Int64Ptr(129) }, "InvalidParameterValue.MemorySize", "129"},
		{"timeout", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.Timeout = common.Int64Ptr(1000) }, "LimitExceeded.Timeout", "1000"},
		{"runtime", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.Runtime = s("Java8") }, "InvalidParameterValue.Runtime", "Java8"},
		{"runtime needs another handler", "gofn", func(r *scf.UpdateFunctionConfigurationRequest) { r.Runtime = s("Nodejs16.13") }, "InvalidParameterValue.Handler", "UpdateFunctionCode"},
		{"layers", "hello", func(r *scf.UpdateFunctionConfigurationRequest) {
			r.Layers = []*scf.LayerVersionSimple{{LayerName: s("l")}}
		}, "UnsupportedOperation", "Layers"},
		{"init timeout", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.InitTimeout = common.Int64Ptr(0) }, "InvalidParameterValue", "InitTimeout"},
		{"env reserved", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.Environment = env("TENCENTCLOUD_X", "1") }, "InvalidParameterValue.EnvironmentSystemProtect", "TENCENTCLOUD_"},
		{"description", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.Description = s(strings.Repeat("é", 1001)) }, "InvalidParameterValue.Description", "1001"},
		{"publish", "hello", func(r *scf.UpdateFunctionConfigurationRequest) { r.Publish = s("1") }, "InvalidParameterValue", "Publish"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.UpdateFunctionConfiguration(configReq(tc.fn, tc.mutate))
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
	if f, _ := h.backend.Function("hello"); f.Config.MemorySize != 128 || f.Config.Timeout != 3 {
		t.Errorf("a refused update changed the config: %+v", f.Config)
	}
}

func TestDeleteFunction(t *testing.T) {
	h := newHarness(t)
	del := func(fn, q string) error {
		r := scf.NewDeleteFunctionRequest()
		r.FunctionName = s(fn)
		if q != "" {
			r.Qualifier = s(q)
		}
		_, err := h.client.DeleteFunction(r)
		return err
	}
	tests := []struct {
		name, fn, qualifier, want, msgHas string
	}{
		{"version bound to an alias", "hello", "1", "UnsupportedOperation.AliasBind", "release"},
		{"weighted version bound to an alias", "hello", "2", "UnsupportedOperation.AliasBind", "release"},
		{"missing version", "hello", "9", "ResourceNotFound.Qualifier", "9"},
		{"$LATEST", "hello", "$LATEST", "InvalidParameterValue.Qualifier", "$LATEST"},
		{"missing function", "nope", "", "ResourceNotFound.Function", "nope"},
		{"missing function with qualifier", "nope", "1", "ResourceNotFound.Function", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := del(tc.fn, tc.qualifier)
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
	must(t, h.backend.DeleteAlias("hello", "release"))
	must(t, del("hello", "2"))
	if vs, _ := h.backend.Versions("hello"); len(vs) != 2 || vs[1].Version != "1" {
		t.Errorf("after deleting version 2: %v", vs)
	}
	must(t, del("hello", ""))
	if _, err := h.backend.Function("hello"); err == nil {
		t.Error("hello still exists")
	}
	wantCode(t, del("hello", ""), "ResourceNotFound.Function")
}
