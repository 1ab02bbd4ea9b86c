package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testdataDir(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestLoadGood(t *testing.T) {
	td := testdataDir(t)
	got, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &File{
		Path:    filepath.Join(td, "good.yaml"),
		Sources: []string{filepath.Join(td, "good.yaml")},
		Functions: []Function{
			{
				Name: "B", Line: 4,
				Source:  filepath.Join(td, "sample-functions/python-event"),
				Runtime: "Python3.9", Type: TypeEvent, Handler: "index.main_handler",
				MemorySize: 128, Timeout: 3,
				Environment: map[string]string{"GREETING": "hello", "PORT": "8080"},
				Aliases: []Alias{
					{Name: "release", Version: Latest, Line: 14},
					{Name: "prepub", Version: Latest, Line: 15},
				},
			},
			{
				Name: "C", Line: 16,
				Source:  filepath.Join(td, "sample-functions/node-event"),
				Runtime: "Nodejs16.13", Type: TypeEvent, Handler: "index.main_handler",
				MemorySize: 64, Timeout: 900,
				Description: "node sample", Image: "emulator/nodejs16:local",
				Aliases: []Alias{
					{
						Name: "$DEFAULT", Version: "1", Line: 25, Sticky: "X-User",
						Weights: []Weight{{Version: "2", Weight: 0.1}, {Version: Latest, Weight: 0.05}},
						Shadow:  &Shadow{Version: "3", Weight: 0.25},
					},
					{
						Name: "prepub", Version: "3", Line: 30, Description: "Bob tries version 4",
						Rules: []Rule{
							{Version: "4", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"},
							{Version: "5", Key: "invoke.headers.userHash", Method: "range", Expression: "[1,50]"},
						},
					},
				},
			},
		},
		Services: []Service{{
			Name: "A", Line: 37,
			Stages: map[string]string{"release": "release", "prepub": "prepub", "dev": Default},
			APIs: []API{
				{Path: "/hello", Method: "ANY", Function: "B", Stages: map[string]string{}, Line: 40},
				{Path: "/users/{id}", Method: "GET", Function: "B", Stages: map[string]string{"release": "1"}, Line: 41},
				{Path: "/node", Method: "ANY", Function: "C", Line: 42},
			},
		}},
	}
	// Empty and nil maps are equivalent for callers; compare them as equal.
	normalize(got)
	normalize(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(good.yaml) mismatch\n got: %+v\nwant: %+v", *got, *want)
	}
}

func normalize(f *File) {
	for i := range f.Functions {
		if len(f.Functions[i].Environment) == 0 {
			f.Functions[i].Environment = nil
		}
	}
	for i := range f.Services {
		for j := range f.Services[i].APIs {
			if len(f.Services[i].APIs[j].Stages) == 0 {
				f.Services[i].APIs[j].Stages = nil
			}
		}
	}
}

// TestLoadBad checks every message of each bad fixture: file, line, column,
// key path and text, in line order.
func TestLoadBad(t *testing.T) {
	const supported = "(supported: Python3.6, Python3.7, Python3.9, Python3.10, Python3.11, Python3.12, " +
		"Nodejs<major>.<minor> for majors 10-22 (e.g. Nodejs12.16, Nodejs14.18, Nodejs16.13, Nodejs18.15), Php7.2, Php7.4, Php8.0, Go1, CustomRuntime)"
	const fnKeys = "(known: source, runtime, type, handler, memorySize, timeout, environment, build, image, imageConfig, description, aliases, namespace, layers, concurrency, provisioned, triggers, async)"
	tests := []struct {
		file string
		want []string
	}{
		{"bad-values.yaml", []string{
			`testdata/bad-values.yaml:5:11: functions.B.type: "web" is not event or http (web functions are type http)`,
			`testdata/bad-values.yaml:6:14: functions.B.handler: "index" is not of the form file.function (e.g. index.main_handler)`,
			`testdata/bad-values.yaml:7:17: functions.B.memorySize: 100 is not 64 or a multiple of 128 up to 3072`,
			`testdata/bad-values.yaml:8:14: functions.B.timeout: 0 is outside 1..900 seconds`,
			`testdata/bad-values.yaml:11:9: functions.B.environment.variables.SCF_FOO: the SCF_ prefix is reserved for the platform`,
			`testdata/bad-values.yaml:12:9: functions.B.environment.variables.1BAD: "1BAD" is not a valid variable name (letters, digits and _, starting with a letter)`,
			`testdata/bad-values.yaml:13:17: functions.B.environment.variables.ok_key: expected a string, got a list`,
			`testdata/bad-values.yaml:15:7: functions.B.aliases.$LATEST: "$LATEST" is reserved (only $DEFAULT may be configured)`,
			`testdata/bad-values.yaml:17:18: functions.B.aliases.release.version: "v2" is not a version ($LATEST or a positive number)`,
			`testdata/bad-values.yaml:18:24: functions.B.aliases.release.weights.3: weight 1.2 for version 3 is outside 0..1`,
			`testdata/bad-values.yaml:18:34: functions.B.aliases.release.weights.4: expected a number, got "abc"`,
			`testdata/bad-values.yaml:21:9: functions.B.aliases.prepub.weights: weights add up to 1.2, more than 1`,
			`testdata/bad-values.yaml:21:19: functions.B.aliases.prepub.weights.3: version 3 is the alias's primary version, which gets the remaining traffic`,
			`testdata/bad-values.yaml:23:13: functions.B.aliases.prepub.rules[0]: "4 invoke.headers.User exact Bob" is not of the form VERSION:invoke.headers.KEY exact|range EXPRESSION`,
			`testdata/bad-values.yaml:24:31: functions.B.aliases.prepub.rules[1].key: key "headers.User" does not have the form invoke.headers.NAME`,
			`testdata/bad-values.yaml:24:53: functions.B.aliases.prepub.rules[1].method: method "regex" is not exact or range`,
			`testdata/bad-values.yaml:25:76: functions.B.aliases.prepub.rules[2].expression: range "(5,6)" contains no integer`,
			`testdata/bad-values.yaml:26:13: functions.B.aliases.prepub.rules[3]: method and expression are required`,
			`testdata/bad-values.yaml:27:3: functions.bad.name: function name "bad.name" holds '.', which is not a letter, digit, '-' or '_' (function names are 1 to 60 letters, digits, '-' or '_', starting with a letter and not ending with '-' or '_')`,
			`testdata/bad-values.yaml:28:13: functions.bad.name.source: folder ./missing ($TESTDATA/missing) does not exist`,
			`testdata/bad-values.yaml:29:14: functions.bad.name.runtime: runtime Nodejs8.9 has been retired by the platform; use Nodejs18.15`,
			`testdata/bad-values.yaml:31:13: functions.D.source: ./good.yaml ($TESTDATA/good.yaml) is not a folder`,
			`testdata/bad-values.yaml:32:14: functions.D.runtime: unknown runtime "python3.9", did you mean Python3.9? ` + supported,
		}},
		{"bad-keys.yaml", []string{
			`testdata/bad-keys.yaml:6:5: functions.B.memsize: unknown key ` + fnKeys,
			`testdata/bad-keys.yaml:7:5: functions.B.MemorySize: unknown key, did you mean memorySize? ` + fnKeys,
			`testdata/bad-keys.yaml:8:19: functions.B.environment.GREETING: unknown key (known: variables)`,
			`testdata/bad-keys.yaml:10:35: functions.B.aliases.release.weight: unknown key (known: version, weights, rules, sticky, shadow, description)`,
			`testdata/bad-keys.yaml:15:5: functions.C.timeout: duplicate key (first at line 14)`,
			`testdata/bad-keys.yaml:16:1: servics: unknown key (known: functions, services, layers)`,
		}},
		{"bad-services.yaml", []string{
			`testdata/bad-services.yaml:7:32: services.A.stages.Prod: "Prod" is not a valid stage name (1-32 lower-case letters, digits, _ or -, starting with a letter)`,
			`testdata/bad-services.yaml:7:54: services.A.stages.test: "$NOPE" is not $DEFAULT, $LATEST, an alias name or a version number`,
			`testdata/bad-services.yaml:9:16: services.A.apis[0].path: "hello" does not start with /`,
			`testdata/bad-services.yaml:10:32: services.A.apis[1].method: "FETCH" is not one of ANY, GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS`,
			`testdata/bad-services.yaml:11:54: services.A.apis[2].function: function "Z" is not defined in functions`,
			`testdata/bad-services.yaml:12:9: services.A.apis[3]: GET /users/{uid} is already defined at line 11`,
			`testdata/bad-services.yaml:13:42: services.A.apis[4].stages.prepub: "prepub" is not a stage of this service (stages: release)`,
			`testdata/bad-services.yaml:14:16: services.A.apis[5].path: "/a/{b/c}" has parameter {b/c}; names are letters, digits and _`,
			`testdata/bad-services.yaml:15:9: services.A.apis[6]: path is required`,
			`testdata/bad-services.yaml:15:9: services.A.apis[6]: function is required`,
			`testdata/bad-services.yaml:16:3: services.a: service a clashes with service A at line 6 (host names ignore case)`,
			`testdata/bad-services.yaml:18:5: services.a.apis: at least one api is required`,
			`testdata/bad-services.yaml:19:3: services.E: at least one stage is required (e.g. stages: {release: $DEFAULT})`,
		}},
		{"bad-layers.yaml", []string{
			`testdata/bad-layers.yaml:3:76: layers.common.bogus: unknown key (known: source, runtimes, description)`,
			`testdata/bad-layers.yaml:4:3: layers.nosrc: source is required (the layer's folder)`,
		}},
		{"bad-syntax.yaml", []string{
			`testdata/bad-syntax.yaml:3: invalid YAML: found a tab character that violates indentation`,
		}},
		{"design-unquoted.yaml", []string{
			`testdata/design-unquoted.yaml:10: invalid YAML: did not find expected ',' or '}' (inside {...} quote paths with parameters, e.g. path: "/users/{id}")`,
		}},
		{"two-docs.yaml", []string{
			`testdata/two-docs.yaml:5:1: only one YAML document is allowed`,
		}},
	}
	td := testdataDir(t)
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Load(filepath.Join("testdata", tc.file))
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want errors", f)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			want := strings.ReplaceAll(strings.Join(tc.want, "\n"), "$TESTDATA", td)
			if got := err.Error(); got != want {
				t.Errorf("error text mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
			if n := len(Problems(err)); n != len(tc.want) {
				t.Errorf("Problems(err) has %d entries, want %d", n, len(tc.want))
			}
			var p *Problem
			if !errors.As(err, &p) || p.Error() != strings.ReplaceAll(tc.want[0], "$TESTDATA", td) {
				t.Errorf("errors.As found %v, want the first problem", p)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Errorf("a missing file must not match ErrInvalid: %v", err)
	}
	if Problems(err) != nil {
		t.Errorf("Problems(%v) = %v, want nil", err, Problems(err))
	}
}
