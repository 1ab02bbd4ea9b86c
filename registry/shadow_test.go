package registry

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestShadowCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		shadow Shadow
		want   string // part of the message
	}{
		{"no version", Shadow{Weight: 0.1}, "has no version"},
		{"primary", Shadow{Version: "1", Weight: 0.1}, "is the primary version"},
		{"zero weight", Shadow{Version: "2", Weight: 0}, "must be more than 0"},
		{"negative weight", Shadow{Version: "2", Weight: -0.5}, "must be more than 0"},
		{"above 1", Shadow{Version: "2", Weight: 1.01}, "at most 1"},
		{"NaN", Shadow{Version: "2", Weight: math.NaN()}, "at most 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.shadow
			_, err := Compile(Alias{Name: "release", FunctionVersion: "1", Shadow: &s})
			if !errors.Is(err, ErrInvalidRouting) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compile error = %v, want ErrInvalidRouting saying %q", err, tc.want)
			}
		})
	}
	for _, w := range []float64{1e-9, 0.1, 1} {
		if _, err := Compile(Alias{Name: "a", FunctionVersion: "1", Shadow: &Shadow{Version: "2", Weight: w}}); err != nil {
			t.Errorf("shadow weight %g: %v, want ok", w, err)
		}
	}
}

func TestStickyHeaderName(t *testing.T) {
	for _, h := range []string{"User", "invoke.headers.X-User", ""} {
		if _, err := Compile(Alias{Name: "a", StickyHeader: h}); err != nil {
			t.Errorf("sticky %q: %v, want ok", h, err)
		}
	}
	for _, h := range []string{"X User", "invoke.headers.", "a:b"} {
		if _, err := Compile(Alias{Name: "a", StickyHeader: h}); !errors.Is(err, ErrInvalidRouting) {
			t.Errorf("sticky %q: %v, want ErrInvalidRouting", h, err)
		}
	}
}

func TestShadowFor(t *testing.T) {
	a := mustCompile(t, Alias{Name: "release", FunctionVersion: "1",
		Weights: []VersionWeight{{"2", 0.5}}, Shadow: &Shadow{Version: "2", Weight: 0.25}})
	none := mustCompile(t, Alias{Name: "plain", FunctionVersion: "1"})
	tests := []struct {
		name   string
		alias  *CompiledAlias
		chosen string
		r      float64
		want   string
	}{
		{"under the weight", a, "1", 0.1, "2"},
		{"edge is excluded", a, "1", 0.25, ""},
		{"above the weight", a, "1", 0.9, ""},
		{"already on the shadow version", a, "2", 0, ""},
		{"no shadow", none, "1", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.alias.ShadowFor(tc.chosen, tc.r); got != tc.want {
				t.Errorf("ShadowFor(%s, %v) = %q, want %q", tc.chosen, tc.r, got, tc.want)
			}
		})
	}
}

func TestResolveShadow(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 3)
	if err := r.CreateAlias("B", Alias{Name: "all", FunctionVersion: "1",
		Weights: []VersionWeight{{"3", 0.5}}, Shadow: &Shadow{Version: "3", Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	// Weight 1: every request not already on version 3 is copied there.
	for i := 0; i < 200; i++ {
		d, _, err := r.Resolve("B", "all", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "3"
		if d.Version == "3" {
			want = ""
		}
		if d.Shadow != want {
			t.Fatalf("decision %+v: shadow %q, want %q", d, d.Shadow, want)
		}
	}

	// The copy is drawn apart from the weighted pick: with 2 at 50% and a
	// 50% shadow to 3, the four combinations each get a quarter. 20000 seeded
	// draws; tolerance 2 points (about 9 standard deviations of a count).
	if err := r.CreateAlias("B", Alias{Name: "half", FunctionVersion: "1",
		Weights: []VersionWeight{{"2", 0.5}}, Shadow: &Shadow{Version: "3", Weight: 0.5}}); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	cells := map[[2]string]int{}
	for i := 0; i < n; i++ {
		d, _, err := r.Resolve("B", "half", nil)
		if err != nil {
			t.Fatal(err)
		}
		cells[[2]string{d.Version, d.Shadow}]++
	}
	for _, c := range [][2]string{{"1", ""}, {"1", "3"}, {"2", ""}, {"2", "3"}} {
		if got := float64(cells[c]) / n; math.Abs(got-0.25) > 0.02 {
			t.Errorf("version %s with shadow %q: %.4f of requests, want 0.25 +/- 0.02", c[0], c[1], got)
		}
	}

	// A direct version qualifier never shadows.
	if d, _, _ := r.Resolve("B", "1", nil); d.Shadow != "" {
		t.Errorf("direct version: shadow %q, want none", d.Shadow)
	}
}

func TestShadowValidationAgainstVersions(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 2)
	err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1", Shadow: &Shadow{Version: "9", Weight: 0.1}})
	if !errors.Is(err, ErrInvalidRouting) || !strings.Contains(err.Error(), "shadow version 9") {
		t.Fatalf("shadow to a missing version: %v, want ErrInvalidRouting naming shadow version 9", err)
	}
	if _, err := r.Alias("B", "release"); !errors.Is(err, ErrAliasNotFound) {
		t.Fatalf("a refused alias must not exist: %v", err)
	}
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1", Shadow: &Shadow{Version: "2", Weight: 0.1}}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteVersion("B", "2"); !errors.Is(err, ErrAliasBind) {
		t.Fatalf("deleting the shadow version: %v, want ErrAliasBind", err)
	}
	if as, _ := r.Aliases("B", "2"); len(as) != 1 || as[0].Name != "release" {
		t.Errorf("Aliases(B, 2) = %+v, want release (it shadows to 2)", as)
	}
	// The stored alias is a copy: changing the caller's value changes nothing.
	a, _ := r.Alias("B", "release")
	a.Shadow.Weight = 0.9
	if b, _ := r.Alias("B", "release"); b.Shadow.Weight != 0.1 {
		t.Errorf("Alias returned shared state: weight %g after the caller changed its copy", b.Shadow.Weight)
	}
}

func TestShadowSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "x = 1\n"})
	r := openAt(t, dir, nil)
	if err := r.Define(t.Context(), testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	publishN(t, r, src, 2)
	want := Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
		Weights: []VersionWeight{{"2", 0.1}}, Shadow: &Shadow{Version: "2", Weight: 0.3}}
	if err := r.CreateAlias("B", want); err != nil {
		t.Fatal(err)
	}
	if compact := strings.Join(strings.Fields(string(stateBytes(t, r))), ""); !strings.Contains(compact, `"shadow":{"version":"2","weight":0.3}`) {
		t.Errorf("state.json does not hold the shadow:\n%s", stateBytes(t, r))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, nil)
	got, err := r2.Alias("B", "release")
	if err != nil {
		t.Fatal(err)
	}
	if got.Shadow == nil || *got.Shadow != *want.Shadow || got.StickyHeader != "User" {
		t.Errorf("after restart: shadow %+v sticky %q, want %+v and User", got.Shadow, got.StickyHeader, want.Shadow)
	}
}

func TestResolveShadowAllocs(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 3)
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
		Weights: []VersionWeight{{"2", 0.5}}, Shadow: &Shadow{Version: "3", Weight: 0.5}}); err != nil {
		t.Fatal(err)
	}
	for _, keys := range []Keys{nil, mapKeys{"User": "Al"}} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = r.Resolve("B", "release", keys) }); n != 0 {
			t.Errorf("Resolve with a shadow and keys %v allocates %v times, want 0", keys, n)
		}
	}
}
