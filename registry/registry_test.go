package registry

import (
	"context"
	"math"
	"reflect"
	"sync"
	"testing"
)

// TestGrayscaleScenario walks the seed: aliases on $LATEST, four versions,
// a rule for Bob on prepub, a weight shift on release, a rollback.
func TestGrayscaleScenario(t *testing.T) {
	r, src := setup(t, nil)
	var changes []Change
	r.Subscribe(func(c Change) { changes = append(changes, c) })
	for _, n := range []string{"release", "prepub"} {
		if err := r.CreateAlias("B", Alias{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if d, _, err := r.Resolve("B", "release", nil); err != nil || routeOf(d) != (Decision{Version: Latest, Route: RoutePrimary, Alias: "release"}) {
		t.Fatalf("release before publishing = %+v, %v", d, err)
	}
	publishN(t, r, src, 4)
	if err := r.UpdateAlias("B", Alias{Name: "prepub", FunctionVersion: "3", Matches: []VersionMatch{
		{Version: "4", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"},
	}}); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"Bob": "4", "Alice": "3"} {
		d, cfg, err := r.Resolve("B", "prepub", mapKeys{"User": user})
		if err != nil || d.Version != want {
			t.Errorf("prepub for %s = %+v, %v; want version %s", user, d, err, want)
		}
		if cfg.Handler != "index.main_handler" || cfg.Environment["GREETING"] != "hello" {
			t.Errorf("prepub for %s: config %+v is not the version's", user, cfg)
		}
	}
	if err := r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "1", Weights: []VersionWeight{{"2", 0.1}}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	const picks = 10000
	for i := 0; i < picks; i++ {
		d, _, err := r.Resolve("B", "release", nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.Version == "2" {
			n++
			if d.Route != RouteWeight {
				t.Fatalf("version 2 picked with route %s", d.Route)
			}
		}
	}
	if got := float64(n) / picks; math.Abs(got-0.1) > 0.015 {
		t.Errorf("release sent %.4f to version 2, want 0.1 +/- 0.015 (seed 1)", got)
	}
	// Rollback: everything to version 1, effective on the next request.
	if err := r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if d, _, _ := r.Resolve("B", "release", nil); d.Version != "1" {
			t.Fatalf("after rollback release picked %s", d.Version)
		}
	}
	if d, _, err := r.Resolve("B", "", nil); err != nil || routeOf(d) != (Decision{Version: Latest, Route: RoutePrimary, Alias: Default}) {
		t.Errorf("no qualifier = %+v, %v; want $DEFAULT -> $LATEST", d, err)
	}
	if d, _, err := r.Resolve("B", "2", nil); err != nil || routeOf(d) != (Decision{Version: "2", Route: RouteDirect}) {
		t.Errorf("qualifier 2 = %+v, %v", d, err)
	}
	as, _ := r.Aliases("B", "4")
	if len(as) != 1 || as[0].Name != "prepub" {
		t.Errorf("aliases routing to 4 = %+v, want prepub", as)
	}
	as, _ = r.Aliases("B", "")
	if names := aliasNames(as); !reflect.DeepEqual(names, []string{Default, "prepub", "release"}) {
		t.Errorf("alias order = %v", names)
	}

	var kinds []ChangeKind
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	want := []ChangeKind{ChangeAlias, ChangeAlias}
	for i := 0; i < 4; i++ {
		want = append(want, ChangeLatest, ChangePublished)
	}
	want = append(want, ChangeAlias, ChangeAlias, ChangeAlias)
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("changes = %v, want %v", kinds, want)
	}
	if c := changes[2]; c.Previous.CodeHash == "" || c.Previous.Version != Latest {
		t.Errorf("ChangeLatest.Previous = %+v, want the old $LATEST", c.Previous)
	}
	if c := changes[3]; c.Version != "1" {
		t.Errorf("first ChangePublished.Version = %q, want 1", c.Version)
	}
}

func aliasNames(as []Alias) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

func TestPublishUnchangedCreatesNewNumber(t *testing.T) {
	r, _ := setup(t, nil)
	v1, err := r.Publish(context.Background(), "B", "one")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := r.Publish(context.Background(), "B", "two")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != "1" || v2.Version != "2" || v1.CodeHash != v2.CodeHash || v1.CodeDir != v2.CodeDir {
		t.Errorf("versions %+v and %+v: want numbers 1, 2 sharing one tree", v1, v2)
	}
	if v2.Description != "two" || v2.Config.Runtime != "Python3.9" {
		t.Errorf("version 2 = %+v", v2)
	}
}

func TestDefineUpdatesLatestOnly(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 1)
	spec := testSpec("B", src)
	spec.Config.Timeout = 30
	spec.Config.Environment = map[string]string{"GREETING": "bye"}
	spec.Aliases = []Alias{{Name: Default, FunctionVersion: "1"}, {Name: "release", FunctionVersion: "1"}}
	if err := r.Define(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	spec.Config.Environment["GREETING"] = "caller's map must not leak in"
	_, cfg, _ := r.Resolve("B", Latest, nil)
	if cfg.Timeout != 30 || cfg.Environment["GREETING"] != "bye" {
		t.Errorf("$LATEST config = %+v, want the new spec", cfg)
	}
	_, cfg, _ = r.Resolve("B", "1", nil)
	if cfg.Timeout != 3 || cfg.Environment["GREETING"] != "hello" {
		t.Errorf("version 1 config = %+v, want the frozen one", cfg)
	}
	def, _ := r.Alias("B", Default)
	if def.FunctionVersion != Latest {
		t.Errorf("existing $DEFAULT was overwritten by the spec: %+v", def)
	}
	if a, err := r.Alias("B", "release"); err != nil || a.FunctionVersion != "1" {
		t.Errorf("new alias from spec = %+v, %v", a, err)
	}
}

func TestConcurrentResolveAndMutate(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 2)
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, _, err := r.Resolve("B", "release", mapKeys{"User": "x"})
				if err != nil || (d.Version != "1" && d.Version != "2") {
					t.Errorf("Resolve = %+v, %v", d, err)
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		w := float64(i%10) / 10
		if err := r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "1", Weights: []VersionWeight{{"2", w}}}); err != nil {
			t.Error(err)
		}
	}
	var mwg sync.WaitGroup
	for i := 0; i < 2; i++ {
		mwg.Add(2)
		go func() { defer mwg.Done(); _, _ = r.RefreshLatest(ctx, "B") }()
		go func() { defer mwg.Done(); _, _ = r.Publish(ctx, "B", "") }()
	}
	mwg.Wait()
	close(stop)
	wg.Wait()
	vs, _ := r.Versions("B")
	if len(vs) != 4 || vs[3].Version != "4" {
		t.Errorf("versions after concurrent publishes: %d, last %q", len(vs), vs[len(vs)-1].Version)
	}
}

func TestSubscriberMayCallBack(t *testing.T) {
	r, src := setup(t, nil)
	done := make(chan struct{})
	var once sync.Once
	r.Subscribe(func(c Change) {
		if c.Kind == ChangeLatest {
			// Re-entering the registry from a callback must not deadlock.
			if _, err := r.Publish(context.Background(), "B", "from callback"); err != nil {
				t.Error(err)
			}
			once.Do(func() { close(done) })
		}
	})
	writeFiles(t, src, map[string]string{"index.py": "new"})
	if _, err := r.RefreshLatest(context.Background(), "B"); err != nil {
		t.Fatal(err)
	}
	<-done
	if vs, _ := r.Versions("B"); len(vs) != 1 {
		t.Errorf("versions = %d, want 1", len(vs))
	}
}

func TestResolveAllocs(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 3)
	if err := r.CreateAlias("B", Alias{Name: "release", FunctionVersion: "1",
		Weights: []VersionWeight{{"2", 0.5}},
		Matches: []VersionMatch{{Version: "3", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, keys := range []Keys{nil, mapKeys{"User": "Bob"}, mapKeys{"User": "Al"}} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = r.Resolve("B", "release", keys) }); n != 0 {
			t.Errorf("Resolve with keys %v allocates %v times, want 0", keys, n)
		}
	}
}

// routeOf is d without the code it carries: the routing part tests compare.
func routeOf(d Decision) Decision {
	d.CodeHash, d.CodeDir = "", ""
	return d
}

func TestResolveCarriesTheVersionsCode(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 2)
	for _, q := range []string{"1", "2", Latest} {
		d, _, err := r.Resolve("B", q, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.Version("B", d.Version)
		if err != nil {
			t.Fatal(err)
		}
		if d.CodeHash != v.CodeHash || d.CodeDir != v.CodeDir || d.CodeHash == "" {
			t.Errorf("Resolve(%s) code = %q %q, want %q %q", q, d.CodeHash, d.CodeDir, v.CodeHash, v.CodeDir)
		}
	}
}
