package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/platform"
)

// inlinePath makes relative sources resolve inside testdata.
const inlinePath = "testdata/inline.yaml"

// baseFunction is a valid function B on lines 1-5; cases append lines 6 on.
const baseFunction = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
`

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string // appended to baseFunction unless it starts with "functions:"
		want string // the only problem, without the "testdata/inline.yaml:" prefix
	}{
		{"memory not a step", "    memorySize: 200\n", "6:17: functions.B.memorySize: 200 is not 64 or a multiple of 128 up to 3072"},
		{"memory too big", "    memorySize: 3200\n", "6:17: functions.B.memorySize: 3200 is not 64 or a multiple of 128 up to 3072"},
		{"memory quoted", "    memorySize: \"128\"\n", `6:17: functions.B.memorySize: expected an integer, got "128"`},
		{"memory fraction", "    memorySize: 128.5\n", `6:17: functions.B.memorySize: expected an integer, got "128.5"`},
		{"timeout too long", "    timeout: 901\n", "6:14: functions.B.timeout: 901 is outside 1..900 seconds"},
		{"concurrency on event", "    concurrency: 4\n", "6:18: functions.B.concurrency: concurrency needs type http: an event function's instance takes one request at a time"},
		{"concurrency zero", "    type: http\n    concurrency: 0\n", "7:18: functions.B.concurrency: 0 is outside 1..100 requests per instance"},
		{"concurrency above 100", "    type: http\n    concurrency: 101\n", "7:18: functions.B.concurrency: 101 is outside 1..100 requests per instance"},
		{"provisioned latest", "    provisioned: {$LATEST: 2}\n", "6:19: functions.B.provisioned.$LATEST: $LATEST cannot be provisioned: publish a version and provision that"},
		{"provisioned negative", "    provisioned: {2: -1}\n", "6:22: functions.B.provisioned.2: -1 instances for version 2 is outside 0..100"},
		{"provisioned bad version", "    provisioned: {v2: 1}\n", `6:19: functions.B.provisioned.v2: "v2" is not a version ($LATEST or a positive number)`},
		{"bad type", "    type: cron\n", `6:11: functions.B.type: "cron" is not event or http`},
		{"duplicate key", "    handler: main\n", `6:5: functions.B.handler: duplicate key (first at line 5)`},
		{"handler without dot", "functions:\n  B: {source: sample-functions/python-event, runtime: Python3.9, handler: main}\n", `2:75: functions.B.handler: "main" is not of the form file.function (e.g. index.main_handler)`},
		{"env reserved QCLOUD", "    environment: {variables: {QCLOUD_X: 1}}\n", "6:31: functions.B.environment.variables.QCLOUD_X: the QCLOUD_ prefix is reserved for the platform"},
		{"env reserved TENCENTCLOUD", "    environment:\n      variables:\n        TENCENTCLOUD_REGION: x\n", "8:9: functions.B.environment.variables.TENCENTCLOUD_REGION: the TENCENTCLOUD_ prefix is reserved for the platform"},
		{"env too big", "    environment: {variables: {BIG: " + strings.Repeat("x", 4094) + "}}\n", "6:19: functions.B.environment.variables: variables take 4097 bytes, more than the 4096 allowed"},
		{"env not mapping", "    environment: [a]\n", "6:18: functions.B.environment: expected a mapping, got a list"},
		{"alias bad name", "    aliases: {1st: {version: 1}}\n", `6:15: functions.B.aliases.1st: alias name "1st" starts with '1', not a letter (alias names are 1 to 64 letters, digits, '-' or '_', starting with a letter)`},
		{"alias name too long", "    aliases: {" + "a" + strings.Repeat("b", 64) + ": {}}\n", `6:15: functions.B.aliases.a` + strings.Repeat("b", 64) + `: alias name "a` + strings.Repeat("b", 64) + `" has 65 characters, more than 64 (alias names are 1 to 64 letters, digits, '-' or '_', starting with a letter)`},
		{"alias version zero", "    aliases: {r: {version: 0}}\n", `6:28: functions.B.aliases.r.version: "0" is not a version ($LATEST or a positive number)`},
		{"weight negative", "    aliases: {r: {version: 1, weights: {2: -0.1}}}\n", "6:44: functions.B.aliases.r.weights.2: weight -0.1 for version 2 is outside 0..1"},
		{"weight version twice", "    aliases: {r: {version: 1, weights: {2: 0.1, \"2\": 0.2}}}\n", "6:49: functions.B.aliases.r.weights.2: duplicate key (first at line 6)"},
		{"weight version int and string", "    aliases: {r: {version: 1, weights: {2: 0.1, \"02\": 0.2}}}\n", `6:49: functions.B.aliases.r.weights.02: "02" is not a version ($LATEST or a positive number)`},
		{"weights sum", "    aliases:\n      r:\n        version: 1\n        weights: {2: 0.5, 3: 0.5, $LATEST: 0.25}\n", "9:9: functions.B.aliases.r.weights: weights add up to 1.25, more than 1"},
		{"rule on primary", "    aliases: {r: {version: 4, rules: [\"4:invoke.headers.User exact Bob\"]}}\n", "6:39: functions.B.aliases.r.rules[0]: rule version 4 is the alias's primary version"},
		{"rule bad range", "    aliases: {r: {version: 1, rules: [\"2:invoke.headers.n range 1-50\"]}}\n", `6:39: functions.B.aliases.r.rules[0]: range "1-50" is not of the form [a,b], (a,b), [a,b) or (a,b] with integers a and b`},
		{"rule empty key", "    aliases: {r: {version: 1, rules: [\"2:invoke.headers. exact x\"]}}\n", `6:39: functions.B.aliases.r.rules[0]: key "invoke.headers." does not have the form invoke.headers.NAME`},
		{"rules not list", "    aliases: {r: {version: 1, rules: {a: b}}}\n", "6:38: functions.B.aliases.r.rules: expected a list, got a mapping"},
		{"sticky not header", "    aliases: {r: {version: 1, sticky: \"X User\"}}\n", `6:39: functions.B.aliases.r.sticky: "X User" is not a header name`},
		{"shadow on primary", "    aliases: {r: {version: 1, shadow: {version: 1, weight: 0.1}}}\n", "6:49: functions.B.aliases.r.shadow.version: shadow version 1 is the alias's primary version, which already gets every request"},
		{"shadow weight zero", "    aliases: {r: {version: 1, shadow: {version: 2, weight: 0}}}\n", "6:60: functions.B.aliases.r.shadow.weight: shadow weight 0 must be more than 0 and at most 1"},
		{"shadow weight above 1", "    aliases:\n      r:\n        version: 1\n        shadow: {version: 2, weight: 1.5}\n", "9:38: functions.B.aliases.r.shadow.weight: shadow weight 1.5 must be more than 0 and at most 1"},
		{"shadow weight missing", "    aliases: {r: {version: 1, shadow: {version: 2}}}\n", "6:39: functions.B.aliases.r.shadow: weight is required"},
		{"shadow unknown key", "    aliases: {r: {version: 1, shadow: {version: 2, weight: 0.1, share: 1}}}\n", "6:65: functions.B.aliases.r.shadow.share: unknown key (known: version, weight, diff)"},
		{"shadow diff not a boolean", "    aliases: {r: {version: 1, shadow: {version: 2, weight: 0.1, diff: yes please}}}\n", `6:71: functions.B.aliases.r.shadow.diff: diff must be true or false, got "yes please"`},
		{"shadow not mapping", "    aliases: {r: {version: 1, shadow: \"2=0.1\"}}\n", `6:39: functions.B.aliases.r.shadow: expected a mapping, got "2=0.1"`},
		{"shadow bad version", "    aliases: {r: {version: 1, shadow: {version: x, weight: 0.1}}}\n", `6:49: functions.B.aliases.r.shadow.version: "x" is not a version ($LATEST or a positive number)`},
		{"missing source", "functions:\n  B:\n    runtime: Go1\n", "2:3: functions.B: source is required (the $LATEST code folder)"},
		{"missing runtime", "functions:\n  B: {source: sample-functions/python-event}\n", "2:3: functions.B: runtime is required (one of " + platform.SupportedRuntimes() + ")"},
		{"missing handler", "functions:\n  B: {source: sample-functions/python-event, runtime: Nodejs18.15}\n", "2:3: functions.B: handler is required for Nodejs18.15 event functions (e.g. index.main_handler)"},
		{"node major too old", "functions:\n  B: {source: sample-functions/python-event, runtime: Nodejs8.9, type: http}\n", `2:55: functions.B.runtime: runtime Nodejs8.9 has been retired by the platform; use Nodejs18.15`},
		{"python 2 retired", "functions:\n  B: {source: sample-functions/python-event, runtime: Python2.7, handler: index.main_handler}\n", `2:55: functions.B.runtime: runtime Python2.7 has been retired by the platform; use Python3.9`},
		{"integrated response not bool", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: /x, function: B, integratedResponse: \"no\"}]\n", `9:56: services.A.apis[0].integratedResponse: expected true or false, got "no"`},
		{"node lower case", "functions:\n  B: {source: sample-functions/python-event, runtime: nodejs16.13, type: http}\n", `2:55: functions.B.runtime: unknown runtime "nodejs16.13", did you mean Nodejs16.13? (supported: ` + platform.SupportedRuntimes() + ")"},
		{"function name too long", "functions:\n  A" + strings.Repeat("x", 60) + ": {source: sample-functions/python-event, runtime: Go1}\n", `2:3: functions.A` + strings.Repeat("x", 60) + `: function name "A` + strings.Repeat("x", 60) + `" has 61 characters, more than 60 (function names are 1 to 60 letters, digits, '-' or '_', starting with a letter and not ending with '-' or '_')`},
		// emulator.yaml used to take a trailing '-' or '_', which the platform
		// and the cloud API refuse.
		{"function name ends with dash", "functions:\n  fn-: {source: sample-functions/python-event, runtime: Go1}\n", `2:3: functions.fn-: function name "fn-" ends with '-' (function names are 1 to 60 letters, digits, '-' or '_', starting with a letter and not ending with '-' or '_')`},
		{"function name ends with underscore", "functions:\n  fn_: {source: sample-functions/python-event, runtime: Go1}\n", `2:3: functions.fn_: function name "fn_" ends with '_' (function names are 1 to 60 letters, digits, '-' or '_', starting with a letter and not ending with '-' or '_')`},
		{"top level list", "- a\n", "1:1: expected a mapping, got a list"},
		{"stage override on unknown stage", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis:\n      - {path: /x, function: B, stages: {dev: $LATEST}}\n", `10:42: services.A.apis[0].stages.dev: "dev" is not a stage of this service (stages: release)`},
		{"api path with query", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"/x?a=1\", function: B}]\n", `9:19: services.A.apis[0].path: "/x?a=1" holds a query or fragment; give only the path`},
		{"api path repeated param", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"/{a}/{a}\", function: B}]\n", `9:19: services.A.apis[0].path: "/{a}/{a}" uses parameter {a} twice`},
		{"api path unbalanced", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"/{a\", function: B}]\n", `9:19: services.A.apis[0].path: "/{a" has an unbalanced { or }`},
		{"api same route other param name", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis:\n      - {path: \"/u/{id}\", function: B}\n      - {path: \"/u/{uid}\", method: any, function: B}\n", "11:9: services.A.apis[1]: ANY /u/{uid} is already defined at line 10"},
		{"exact api path with param", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"=/u/{id}\", function: B}]\n", `9:19: services.A.apis[0].path: "=/u/{id}" is an exact (=) or prefix (^~) path, which is literal: drop the { } or the mark`},
		{"prefix api path without slash", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"^~x\", function: B}]\n", `9:19: services.A.apis[0].path: "^~x" does not start with /`},
		{"api path two marks", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis: [{path: \"=^~/x\", function: B}]\n", `9:19: services.A.apis[0].path: "=^~/x" does not start with /`},
		{"exact api path twice", "services:\n  A:\n    stages: {release: $DEFAULT}\n    apis:\n      - {path: =/x, function: B}\n      - {path: =/x, function: B}\n", "11:9: services.A.apis[1]: ANY =/x is already defined at line 10"},
		{"stage qualifier list", "services:\n  A:\n    stages: {release: [1]}\n    apis: [{path: /x, function: B}]\n", "8:23: services.A.stages.release: expected a qualifier ($DEFAULT, $LATEST, an alias or a version), got a list"},
		{"service without apis", "services:\n  A: {stages: {release: $DEFAULT}}\n", "7:3: services.A: apis is required (e.g. apis: [{path: /hello, function: B}])"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.yaml
			if !strings.HasPrefix(src, "functions:") && !strings.HasPrefix(src, "services:") && !strings.HasPrefix(src, "- ") {
				src = baseFunction + src
			} else if strings.HasPrefix(src, "services:") && !strings.Contains(tc.name, "only services") {
				src = baseFunction + src
			}
			_, err := Parse(inlinePath, []byte(src))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			if got, want := err.Error(), inlinePath+":"+tc.want; got != want {
				t.Errorf("error mismatch\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	td := testdataDir(t)
	py := td + "/sample-functions/python-event"
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, f *File)
	}{
		{
			name: "defaults",
			yaml: "functions:\n  G: {source: sample-functions/python-event, runtime: Go1}\n" +
				"  W: {source: sample-functions/python-event, runtime: Python3.12, type: http}\n" +
				"  X: {source: " + py + ", runtime: CustomRuntime}\n",
			check: func(t *testing.T, f *File) {
				want := []Function{
					{Name: "G", Line: 2, Source: py, Runtime: "Go1", Type: TypeEvent, Handler: "main", MemorySize: 128, Timeout: 3},
					{Name: "W", Line: 3, Source: py, Runtime: "Python3.12", Type: TypeHTTP, MemorySize: 128, Timeout: 3},
					{Name: "X", Line: 4, Source: py, Runtime: "CustomRuntime", Type: TypeEvent, MemorySize: 128, Timeout: 3},
				}
				if !reflect.DeepEqual(f.Functions, want) {
					t.Errorf("functions\n got: %+v\nwant: %+v", f.Functions, want)
				}
			},
		},
		{
			name: "anchors and merge keys",
			yaml: "functions:\n  B: &b\n    source: sample-functions/python-event\n    runtime: Python3.9\n    handler: index.main_handler\n    memorySize: 256\n" +
				"  C:\n    <<: *b\n    memorySize: 512\n",
			check: func(t *testing.T, f *File) {
				c := f.Functions[1]
				if c.Name != "C" || c.Line != 7 || c.Source != py || c.Handler != "index.main_handler" || c.MemorySize != 512 {
					t.Errorf("merged function C = %+v", c)
				}
				if f.Functions[0].MemorySize != 256 {
					t.Errorf("B.MemorySize = %d, want 256", f.Functions[0].MemorySize)
				}
			},
		},
		{
			name: "rule forms and version ints",
			yaml: baseFunction + "    aliases:\n      r:\n        version: 1\n        rules:\n" +
				"          - \"$LATEST:invoke.headers.User exact Bob Smith\"\n" +
				"          - \"2 : invoke.headers.n range [0,100)\"\n" +
				"          - {version: 3, key: invoke.headers.n, method: range, expression: \"(-5, 5]\"}\n",
			check: func(t *testing.T, f *File) {
				want := []Rule{
					{Version: Latest, Key: "invoke.headers.User", Method: "exact", Expression: "Bob Smith"},
					{Version: "2", Key: "invoke.headers.n", Method: "range", Expression: "[0,100)"},
					{Version: "3", Key: "invoke.headers.n", Method: "range", Expression: "(-5, 5]"},
				}
				if got := f.Functions[0].Aliases[0].Rules; !reflect.DeepEqual(got, want) {
					t.Errorf("rules\n got: %+v\nwant: %+v", got, want)
				}
			},
		},
		{
			name: "service qualifiers and methods",
			yaml: baseFunction + "services:\n  A:\n    stages: {release: 2, prepub: $LATEST, test: canary}\n" +
				"    apis:\n      - {path: /, method: post, function: B, stages: {release: 3}}\n" +
				"      - {path: /, method: get, function: B}\n",
			check: func(t *testing.T, f *File) {
				s := f.Services[0]
				if want := map[string]string{"release": "2", "prepub": Latest, "test": "canary"}; !reflect.DeepEqual(s.Stages, want) {
					t.Errorf("stages = %v, want %v", s.Stages, want)
				}
				if s.APIs[0].Method != "POST" || s.APIs[1].Method != "GET" || s.APIs[0].Stages["release"] != "3" {
					t.Errorf("apis = %+v", s.APIs)
				}
			},
		},
		{
			name: "exact, prefix and plain paths are three apis",
			yaml: baseFunction + "services:\n  A:\n    stages: {release: $DEFAULT}\n" +
				"    apis:\n      - {path: /x, function: B}\n      - {path: =/x, function: B}\n      - {path: ^~/x, function: B}\n",
			check: func(t *testing.T, f *File) {
				var got []string
				for _, a := range f.Services[0].APIs {
					got = append(got, a.Path)
				}
				if want := []string{"/x", "=/x", "^~/x"}; !reflect.DeepEqual(got, want) {
					t.Errorf("paths = %q, want %q", got, want)
				}
			},
		},
		{
			name: "environment scalars",
			yaml: baseFunction + "    environment:\n      variables: {PORT: 8080, DEBUG: true, EMPTY: , lower_ok: x}\n",
			check: func(t *testing.T, f *File) {
				want := map[string]string{"PORT": "8080", "DEBUG": "true", "EMPTY": "", "lower_ok": "x"}
				if got := f.Functions[0].Environment; !reflect.DeepEqual(got, want) {
					t.Errorf("environment = %v, want %v", got, want)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(inlinePath, []byte(tc.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.check(t, f)
		})
	}
}

func TestParseEmptyPathMeansWorkingFolder(t *testing.T) {
	_, err := Parse("", []byte("- a\n"))
	if got, want := err.Error(), "emulator.yaml:1:1: expected a mapping, got a list"; got != want {
		t.Errorf("Parse(\"\") error = %q, want %q", got, want)
	}
}

// An empty emulator is a valid start: functions then come through
// CreateFunction. Every way of writing "no functions" parses.
func TestParseEmptyConfigs(t *testing.T) {
	for name, src := range map[string]string{
		"empty file":      "",
		"only a comment":  "# nothing yet\n",
		"functions {}":    "functions: {}\n",
		"functions null":  "functions:\nservices: {}\n",
		"only services":   "services: {}\n",
		"no services key": "functions: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			f, err := Parse("emulator.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want an empty config", src, err)
			}
			if len(f.Functions) != 0 || len(f.Services) != 0 {
				t.Errorf("Parse(%q) = %d functions, %d services, want none", src, len(f.Functions), len(f.Services))
			}
		})
	}
}
