package config

import (
	"reflect"
	"strings"
	"testing"
)

// diffBase is the running config of the Diff cases: two functions behind
// one service.
const diffBase = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    environment: {variables: {GREETING: hello}}
    aliases:
      release: {version: $LATEST}
  C:
    source: ./sample-functions/node-event
    runtime: Nodejs16.13
    handler: index.main_handler
services:
  A:
    stages: {release: release, dev: $DEFAULT}
    apis:
      - {path: /hello, method: ANY, function: B}
`

func mustParse(t *testing.T, data string) *File {
	t.Helper()
	f, err := Parse("testdata/emulator.yaml", []byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

// diffSummary is Changes reduced to names, which is what the cases state.
type diffSummary struct {
	Added, Removed                                  []string
	Changed                                         map[string][]string
	ServicesAdded, ServicesRemoved, ServicesChanged []string
	LayersAdded, LayersRemoved, LayersChanged       []string
}

func summarize(c Changes) diffSummary {
	s := diffSummary{
		ServicesAdded: c.ServicesAdded, ServicesRemoved: c.ServicesRemoved, ServicesChanged: c.ServicesChanged,
		LayersAdded: c.LayersAdded, LayersRemoved: c.LayersRemoved, LayersChanged: c.LayersChanged,
	}
	for _, f := range c.Added {
		s.Added = append(s.Added, f.Name)
	}
	for _, f := range c.Removed {
		s.Removed = append(s.Removed, f.Name)
	}
	for _, fc := range c.Changed {
		if s.Changed == nil {
			s.Changed = map[string][]string{}
		}
		s.Changed[fc.New.Name] = fc.Fields
	}
	return s
}

func TestDiff(t *testing.T) {
	cases := []struct {
		name string
		edit string // the new file; "" means no file
		want diffSummary
	}{
		{
			name: "comments and moved lines change nothing",
			edit: "# a comment\n\n" + diffBase,
		},
		{
			name: "environment value",
			edit: replace(t, diffBase, "GREETING: hello", "GREETING: hi"),
			want: diffSummary{Changed: map[string][]string{"B": {"environment"}}},
		},
		{
			name: "several fields of one function",
			edit: replace(t, diffBase, "    runtime: Nodejs16.13\n", "    runtime: Nodejs18.15\n    timeout: 9\n    memorySize: 256\n    description: node\n"),
			want: diffSummary{Changed: map[string][]string{"C": {"runtime", "memorySize", "timeout", "description"}}},
		},
		{
			name: "source, handler, build, image, type",
			edit: replace(t, diffBase, "    source: ./sample-functions/node-event\n    runtime: Nodejs16.13\n    handler: index.main_handler\n",
				"    source: ./sample-functions/python-event\n    runtime: Nodejs16.13\n    handler: app.main\n    build: make\n    image: node:local\n    type: http\n"),
			want: diffSummary{Changed: map[string][]string{"C": {"source", "type", "handler", "build", "image"}}},
		},
		{
			name: "an alias added",
			edit: replace(t, diffBase, "      release: {version: $LATEST}\n", "      release: {version: $LATEST}\n      prepub: {version: $LATEST}\n"),
			want: diffSummary{Changed: map[string][]string{"B": {"aliases"}}},
		},
		{
			name: "function added with an api",
			edit: replace(t, diffBase, "services:\n", "  D:\n    source: ./sample-functions/python-event\n    runtime: Python3.9\n    handler: index.main_handler\nservices:\n") +
				"      - {path: /d, method: GET, function: D}\n",
			want: diffSummary{Added: []string{"D"}, ServicesChanged: []string{"A"}},
		},
		{
			name: "function removed with its api",
			edit: replace(t, replace(t, diffBase, "      - {path: /hello, method: ANY, function: B}\n", "      - {path: /hello, method: ANY, function: C}\n"),
				"  B:\n    source: ./sample-functions/python-event\n    runtime: Python3.9\n    handler: index.main_handler\n    environment: {variables: {GREETING: hello}}\n    aliases:\n      release: {version: $LATEST}\n", ""),
			want: diffSummary{Removed: []string{"B"}, ServicesChanged: []string{"A"}},
		},
		{
			name: "stage rebound",
			edit: replace(t, diffBase, "dev: $DEFAULT", "dev: $LATEST"),
			want: diffSummary{ServicesChanged: []string{"A"}},
		},
		{
			name: "service added and api override",
			edit: replace(t, diffBase, "function: B}", "function: B, stages: {dev: $LATEST}}") +
				"  E:\n    stages: {prod: $DEFAULT}\n    apis:\n      - {path: /e, method: GET, function: C}\n",
			want: diffSummary{ServicesChanged: []string{"A"}, ServicesAdded: []string{"E"}},
		},
		{
			name: "services removed",
			edit: diffBase[:len(diffBase)-len("services:\n  A:\n    stages: {release: release, dev: $DEFAULT}\n    apis:\n      - {path: /hello, method: ANY, function: B}\n")],
			want: diffSummary{ServicesRemoved: []string{"A"}},
		},
		{
			name: "layer added",
			edit: "layers:\n  common: {source: ./sample-functions/python-event}\n" + diffBase,
			want: diffSummary{LayersAdded: []string{"common"}},
		},
		{
			name: "no file any more",
			want: diffSummary{Removed: []string{"B", "C"}, ServicesRemoved: []string{"A"}},
		},
	}
	old := mustParse(t, diffBase)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cur *File
			if tc.edit != "" {
				cur = mustParse(t, tc.edit)
			}
			c := Diff(old, cur)
			if got := summarize(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
			if c.Empty() != reflect.DeepEqual(tc.want, diffSummary{}) {
				t.Errorf("Empty() = %v", c.Empty())
			}
		})
	}
}

func TestDiffFromNothing(t *testing.T) {
	cur := mustParse(t, diffBase)
	got := summarize(Diff(nil, cur))
	want := diffSummary{Added: []string{"B", "C"}, ServicesAdded: []string{"A"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff(nil, cur):\n got %+v\nwant %+v", got, want)
	}
	if !Diff(nil, nil).Empty() {
		t.Error("Diff(nil, nil) is not empty")
	}
}

func TestFunctionChangeOnly(t *testing.T) {
	fc := FunctionChange{Fields: []string{"aliases", "description"}}
	if !fc.Only("aliases", "description", "timeout") {
		t.Error("Only: want true when every field is listed")
	}
	if fc.Only("aliases") {
		t.Error("Only: want false when description is not listed")
	}
}

func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not in the base config", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestDiffLayers: the layers: section is compared by name, line numbers
// aside.
func TestDiffLayers(t *testing.T) {
	base := "layers:\n  a: {source: ./sample-functions/python-event}\n  b: {source: ./sample-functions/node-event}\n" + diffBase
	cases := []struct {
		name, edit string
		want       diffSummary
	}{
		{"moved down a line", replace(t, base, "layers:\n", "layers:\n\n"), diffSummary{}},
		{"description", replace(t, base, "node-event}", "node-event, description: x}"), diffSummary{LayersChanged: []string{"b"}}},
		{"source", replace(t, base, "{source: ./sample-functions/python-event}", "{source: ./sample-functions/node-event}"), diffSummary{LayersChanged: []string{"a"}}},
		{"removed", replace(t, base, "  b: {source: ./sample-functions/node-event}\n", ""), diffSummary{LayersRemoved: []string{"b"}}},
	}
	old := mustParse(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Diff(old, mustParse(t, tc.edit))
			if got := summarize(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
			if c.Empty() != reflect.DeepEqual(tc.want, diffSummary{}) {
				t.Errorf("Empty() = %v", c.Empty())
			}
		})
	}
}
