package registry

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// snapshotView is everything a failed call must leave unchanged.
type snapshotView struct {
	state     string
	functions []Function
	versions  []Version
	aliases   []Alias
}

func view(t *testing.T, r *Registry) snapshotView {
	t.Helper()
	vs, err := r.Versions("B")
	if err != nil {
		t.Fatal(err)
	}
	as, err := r.Aliases("B", "")
	if err != nil {
		t.Fatal(err)
	}
	return snapshotView{state: string(stateBytes(t, r)), functions: r.Functions(), versions: vs, aliases: as}
}

func TestValidation(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 2) // versions 1 and 2
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateAlias("B", Alias{Name: "canary", FunctionVersion: Latest, Weights: []VersionWeight{{"2", 0.1}}}); err != nil {
		t.Fatal(err)
	}
	w := func(v string, x float64) []VersionWeight { return []VersionWeight{{Version: v, Weight: x}} }
	rule := func(v, key, method, expr string) []VersionMatch {
		return []VersionMatch{{Version: v, Key: key, Method: method, Expression: expr}}
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	badSpec := func(mod func(*FunctionSpec)) func() error {
		return func() error {
			s := testSpec("B", src)
			mod(&s)
			return r.Define(context.Background(), s)
		}
	}

	tests := []struct {
		name string
		call func() error
		want error
		msg  string // part of the message
	}{
		{"create bad name", func() error { return r.CreateAlias("B", Alias{Name: "1x"}) }, ErrInvalidAliasName, "1x"},
		{"create dollar name", func() error { return r.CreateAlias("B", Alias{Name: "$FOO"}) }, ErrInvalidAliasName, "reserved"},
		{"create $DEFAULT", func() error { return r.CreateAlias("B", Alias{Name: Default}) }, ErrInvalidAliasName, "reserved"},
		{"create existing", func() error { return r.CreateAlias("B", Alias{Name: "release"}) }, ErrAliasExists, "release"},
		{"create unknown function", func() error { return r.CreateAlias("Z", Alias{Name: "a"}) }, ErrFunctionNotFound, "Z"},
		{"create unknown primary", func() error { return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "9"}) }, ErrVersionNotFound, "9"},
		{"create unknown weighted", func() error { return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Weights: w("9", 0.1)}) }, ErrVersionNotFound, "9"},
		{"create unknown rule version", func() error {
			return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Matches: rule("9", "invoke.headers.U", "exact", "x")})
		}, ErrVersionNotFound, "9"},
		{"create weight 1.5", func() error { return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Weights: w("2", 1.5)}) }, ErrInvalidRouting, "weight 1.5 for version 2 is outside 0..1"},
		{"create weight NaN", func() error {
			return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Weights: w("2", math.NaN())})
		}, ErrInvalidRouting, "outside"},
		{"create weights sum", func() error {
			return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Weights: []VersionWeight{{"2", 0.6}, {Latest, 0.5}}})
		}, ErrInvalidRouting, "sum"},
		{"create weight on primary", func() error { return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Weights: w("1", 0.5)}) }, ErrInvalidRouting, "primary"},
		{"create bad range", func() error {
			return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Matches: rule("2", "invoke.headers.U", "range", "[5,1]")})
		}, ErrInvalidRouting, "[5,1]"},
		{"create bad key", func() error {
			return r.CreateAlias("B", Alias{Name: "a", FunctionVersion: "1", Matches: rule("2", "User", "exact", "Bob")})
		}, ErrInvalidRouting, "User"},
		{"update missing", func() error { return r.UpdateAlias("B", Alias{Name: "nope", FunctionVersion: "1"}) }, ErrAliasNotFound, "nope"},
		{"update bad weight", func() error {
			return r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "1", Weights: w("2", 2)})
		}, ErrInvalidRouting, "outside"},
		{"update unknown version", func() error { return r.UpdateAlias("B", Alias{Name: Default, FunctionVersion: "7"}) }, ErrVersionNotFound, "7"},
		{"delete $DEFAULT", func() error { return r.DeleteAlias("B", Default) }, ErrDefaultAlias, "B"},
		{"delete missing alias", func() error { return r.DeleteAlias("B", "nope") }, ErrAliasNotFound, "nope"},
		{"delete $LATEST", func() error { return r.DeleteVersion("B", Latest) }, ErrInvalidQualifier, "$LATEST cannot be deleted"},
		{"delete missing version", func() error { return r.DeleteVersion("B", "9") }, ErrVersionNotFound, "9"},
		{"delete primary of alias", func() error { return r.DeleteVersion("B", "1") }, ErrAliasBind, "version 1 is used by alias release"},
		{"delete weighted version", func() error { return r.DeleteVersion("B", "2") }, ErrAliasBind, "alias canary"},
		{"delete version of unknown function", func() error { return r.DeleteVersion("Z", "1") }, ErrFunctionNotFound, "Z"},
		{"publish unknown function", func() error { _, err := r.Publish(context.Background(), "Z", ""); return err }, ErrFunctionNotFound, "Z"},
		{"define bad type", badSpec(func(s *FunctionSpec) { s.Config.Type = "cron" }), ErrInvalidConfig, "cron"},
		{"define zero memory", badSpec(func(s *FunctionSpec) { s.Config.MemorySize = 0 }), ErrInvalidConfig, "memorySize"},
		{"define zero timeout", badSpec(func(s *FunctionSpec) { s.Config.Timeout = 0 }), ErrInvalidConfig, "timeout"},
		{"define no runtime", badSpec(func(s *FunctionSpec) { s.Config.Runtime = "" }), ErrInvalidConfig, "runtime"},
		{"define missing source", badSpec(func(s *FunctionSpec) { s.Source = filepath.Join(src, "nope") }), ErrInvalidConfig, "nope"},
		{"define source is a file", badSpec(func(s *FunctionSpec) { s.Source = notDir }), ErrInvalidConfig, "not an existing directory"},
		{"define bad name", badSpec(func(s *FunctionSpec) { s.Name = "9lives" }), ErrInvalidConfig, "9lives"},
		// The registry used to take function names up to 64 and ending in
		// '-'; the platform's function name rule (package platform) does not.
		{"define 61-character name", badSpec(func(s *FunctionSpec) { s.Name = "f" + strings.Repeat("x", 60) }), ErrInvalidConfig, "more than 60"},
		{"define name ending in -", badSpec(func(s *FunctionSpec) { s.Name = "fn-" }), ErrInvalidConfig, "ends with '-'"},
		{"define bad namespace name", badSpec(func(s *FunctionSpec) { s.Namespace = "9prod" }), ErrInvalidConfig, "9prod"},
		{"define unknown layer", badSpec(func(s *FunctionSpec) { s.Config.Layers = []LayerRef{{Name: "nolayer"}} }), ErrLayerNotFound, "nolayer"},
		{"define alias bad routing", badSpec(func(s *FunctionSpec) {
			s.Aliases = []Alias{{Name: "new", FunctionVersion: "1", Weights: w("2", 3)}}
		}), ErrInvalidRouting, "outside"},
		{"define alias unknown version", badSpec(func(s *FunctionSpec) {
			s.Aliases = []Alias{{Name: "new", FunctionVersion: "42"}}
		}), ErrVersionNotFound, "42"},
		{"define alias twice", badSpec(func(s *FunctionSpec) {
			s.Aliases = []Alias{{Name: "new"}, {Name: "new"}}
		}), ErrAliasExists, "twice"},
		{"define failing build", badSpec(func(s *FunctionSpec) {
			s.Build = "echo boom >&2; exit 3"
			s.Config.Timeout = 9
		}), ErrBuildFailed, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := view(t, r)
			var got []Change
			r.Subscribe(func(c Change) { got = append(got, c) })
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if after := view(t, r); !reflect.DeepEqual(before, after) {
				t.Errorf("failed call changed the registry:\nbefore %+v\nafter  %+v", before, after)
			}
			if len(got) != 0 {
				t.Errorf("failed call notified %+v", got)
			}
		})
	}
}

func TestVersionLimit(t *testing.T) {
	r, src := setup(t, func(o *Options) { o.MaxVersions = 2 })
	publishN(t, r, src, 2)
	latest, _ := r.Version("B", Latest)
	writeFiles(t, src, map[string]string{"index.py": "changed"})
	_, err := r.Publish(context.Background(), "B", "")
	if !errors.Is(err, ErrVersionLimit) {
		t.Fatalf("third publish: %v, want ErrVersionLimit", err)
	}
	if now, _ := r.Version("B", Latest); now.CodeHash != latest.CodeHash {
		t.Errorf("a refused publish reloaded $LATEST")
	}
	if err := r.DeleteVersion("B", "1"); err != nil {
		t.Fatal(err)
	}
	v, err := r.Publish(context.Background(), "B", "")
	if err != nil || v.Version != "3" {
		t.Fatalf("publish after delete = %q, %v; want 3", v.Version, err)
	}
}

func TestResolveErrors(t *testing.T) {
	r, _ := setup(t, nil)
	tests := []struct {
		fn, q string
		want  error
	}{
		{"Z", "", ErrFunctionNotFound},
		{"B", "7", ErrVersionNotFound},
		{"B", "prepub", ErrAliasNotFound},
		{"B", "$FOO", ErrInvalidQualifier},
		{"B", "1.5", ErrInvalidQualifier},
		{"B", "0", ErrInvalidQualifier},
		{"B", "01", ErrInvalidQualifier},
	}
	for _, tc := range tests {
		if _, _, err := r.Resolve(tc.fn, tc.q, nil); !errors.Is(err, tc.want) {
			t.Errorf("Resolve(%q, %q) = %v, want %v", tc.fn, tc.q, err, tc.want)
		}
	}
}
