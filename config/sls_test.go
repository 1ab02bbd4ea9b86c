package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadServerlessSingle(t *testing.T) {
	f, err := Load("testdata/sls/single/serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Functions) != 1 {
		t.Fatalf("functions = %+v", f.Functions)
	}
	fn := f.Functions[0]
	src, _ := filepath.Abs("testdata/sls/single/src")
	if fn.Name != "scfdemo-dev" || fn.Source != src || fn.Runtime != "Python3.9" || fn.Handler != "index.main_handler" ||
		fn.Timeout != 10 || fn.MemorySize != 128 || fn.Environment["GREETING"] != "hello" {
		t.Errorf("function = %+v", fn)
	}
	want := []Service{{Name: "demo_api", Line: 25, Stages: map[string]string{"release": Default}, APIs: []API{
		{Path: "/", Method: "GET", Function: "scfdemo-dev", PassThrough: true, Line: 29},
		{Path: "/integrated", Method: "ANY", Function: "scfdemo-dev", Line: 31},
	}}}
	for i := range f.Services[0].APIs {
		f.Services[0].APIs[i].Stages = nil
	}
	if !reflect.DeepEqual(f.Services, want) {
		t.Errorf("services = %+v\nwant %+v", f.Services, want)
	}
	wantWarn := []string{
		"testdata/sls/single/serverless.yml:13:3: inputs.region: ignored: cloud-only",
		"testdata/sls/single/serverless.yml:22:11: inputs.events[0].apigw.parameters.protocols: ignored: cloud-only",
		"testdata/sls/single/serverless.yml:26:11: inputs.events[0].apigw.parameters.description: ignored: cloud-only",
	}
	if got := texts(f.Warnings); !reflect.DeepEqual(got, wantWarn) {
		t.Errorf("warnings = %q\nwant %q", got, wantWarn)
	}
}

func TestLoadServerlessFolder(t *testing.T) {
	f, err := Load("testdata/sls/multi")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Layers) != 1 || f.Layers[0].Name != "common" || !reflect.DeepEqual(f.Layers[0].Runtimes, []string{"Python3.9"}) {
		t.Errorf("layers = %+v", f.Layers)
	}
	got := map[string]string{}
	for _, fn := range f.Functions {
		var refs []string
		for _, r := range fn.Layers {
			refs = append(refs, r.String())
		}
		got[fn.Name] = strings.Join(refs, ",")
	}
	// ${output:...:demo-layer.name} is the layer's inputs.name, .version its newest.
	if want := map[string]string{"shop-api": "common", "shop-worker": "common"}; !reflect.DeepEqual(got, want) {
		t.Errorf("function layers = %v, want %v", got, want)
	}
	if len(f.Services) != 1 || f.Services[0].Name != "shop" || len(f.Services[0].APIs) != 2 ||
		!f.Services[0].APIs[0].PassThrough || f.Services[0].APIs[1].PassThrough {
		t.Errorf("services = %+v", f.Services)
	}
	if f.Functions[1].Environment["API"] != "shop-api" {
		t.Errorf("${output:...:api.functionName} = %q", f.Functions[1].Environment["API"])
	}
	all := strings.Join(texts(f.Warnings), "\n")
	for _, w := range []string{
		"testdata/sls/multi/api/serverless.yml:18:3: inputs.vpcConfig: ignored: cloud-only",
		"testdata/sls/multi/api/serverless.yml:20:3: inputs.someFutureKey: unknown key, ignored",
		"testdata/sls/multi/api/serverless.yml:10:5: inputs.src.exclude: ignored",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
}

func TestServerlessProblems(t *testing.T) {
	t.Setenv("SLS_TEST_SET", "Python3.9")
	tests := []struct{ name, yaml, want string }{
		{"env unset", "component: scf\nname: a\ninputs:\n  src: ./src\n  runtime: ${env:SLS_TEST_UNSET}\n  handler: index.main_handler\n",
			"serverless.yml:5:12: inputs: ${env:SLS_TEST_UNSET}: environment variable SLS_TEST_UNSET is not set"},
		{"output unknown", "component: scf\nname: a\ninputs:\n  src: ./src\n  runtime: Python3.9\n  handler: index.main_handler\n  layers: [{name: '${output:dev:a:nope.name}'}]\n",
			"serverless.yml:7:19: inputs: ${output:dev:a:nope.name}: no component nope with stage dev and app a in this project"},
		{"bad memory names serverless.yml", "component: scf\nname: a\ninputs:\n  src: ./src\n  runtime: ${env:SLS_TEST_SET}\n  handler: index.main_handler\n  memorySize: 100\n",
			"serverless.yml:7:15: functions.a-dev-a.memorySize: 100 is not 64 or a multiple of 128 up to 3072"},
		{"retired runtime", "component: scf\nname: a\ninputs:\n  name: a\n  src: ./src\n  runtime: Nodejs8.9\n  handler: index.main_handler\n",
			"serverless.yml:6:12: functions.a.runtime: runtime Nodejs8.9 has been retired by the platform; use Nodejs18.15"},
		{"no component", "name: a\ninputs: {}\n", "serverless.yml:1: component is required (scf or layer)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "serverless.yml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || strings.TrimPrefix(err.Error(), dir+"/") != tc.want {
				t.Errorf("Load error = %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestImportEquivalent: the emulator.yaml that import writes loads into the
// same functions, services and layers as the serverless.yml project.
func TestImportEquivalent(t *testing.T) {
	for _, p := range []string{"testdata/sls/single/serverless.yml", "testdata/sls/multi"} {
		t.Run(p, func(t *testing.T) {
			want, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "emulator.yaml")
			data, warns, err := ServerlessYAML(p, filepath.Dir(out))
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) == 0 || !strings.Contains(string(data), "# Not carried over") {
				t.Errorf("import names nothing it ignored:\n%s", data)
			}
			got, err := Parse(out, data)
			if err != nil {
				t.Fatalf("imported config does not load: %v\n%s", err, data)
			}
			if d := Diff(want, got); !d.Empty() {
				t.Errorf("imported config differs: %+v\n%s", d, data)
			}
			if !reflect.DeepEqual(noLines(want.Layers), noLines(got.Layers)) {
				t.Errorf("layers %+v, want %+v", got.Layers, want.Layers)
			}
		})
	}
}

func noLines(ls []Layer) []Layer {
	out := append([]Layer(nil), ls...)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

func texts(ps []*Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}
