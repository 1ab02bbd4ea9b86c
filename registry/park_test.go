package registry

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
)

// changeLog records the kinds of the changes a registry delivers.
type changeLog struct {
	mu    sync.Mutex // guards kinds
	kinds []ChangeKind
}

func (c *changeLog) add(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kinds = append(c.kinds, ch.Kind)
}

func (c *changeLog) take() []ChangeKind {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.kinds
	c.kinds = nil
	return out
}

// grayscale gives B versions 1..3, a weighted release alias, a prepub alias
// and a timer trigger: what an accidental removal must not lose.
func grayscale(t *testing.T, r *Registry, src string) {
	t.Helper()
	ctx := context.Background()
	spec := testSpec("B", src)
	spec.Aliases = []Alias{{Name: "release"}, {Name: "prepub"}}
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	publishN(t, r, src, 3)
	if err := r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "2", Weights: []VersionWeight{{"3", 0.25}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTrigger("B", Trigger{Name: "tick", Type: TriggerTimer, Cron: "0 */5 * * * * *", Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// view is what a client sees of B; parked, all of it is kept and none served.
type parkView struct {
	versions []Version
	aliases  []Alias
	triggers []Trigger
}

func viewOf(t *testing.T, r *Registry) parkView {
	t.Helper()
	vs, err := r.Versions("B")
	if err != nil {
		t.Fatal(err)
	}
	as, err := r.Aliases("B", "")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := r.Triggers("B")
	if err != nil {
		t.Fatal(err)
	}
	return parkView{versions: vs, aliases: as, triggers: ts}
}

// assertParked checks that B answers as a missing function everywhere.
func assertParked(t *testing.T, r *Registry) {
	t.Helper()
	if fs := r.Functions(); len(fs) != 0 {
		t.Errorf("Functions lists %d functions, want none (B is parked)", len(fs))
	}
	checks := map[string]error{}
	_, checks["Function"] = r.Function("B")
	_, _, checks["Resolve"] = r.Resolve("B", "release", nil)
	_, checks["Versions"] = r.Versions("B")
	_, checks["Triggers"] = r.Triggers("B")
	_, checks["Publish"] = r.Publish(context.Background(), "B", "")
	checks["CreateAlias"] = r.CreateAlias("B", Alias{Name: "late", FunctionVersion: Latest})
	for name, err := range checks {
		if !errors.Is(err, ErrFunctionNotFound) {
			t.Errorf("%s on a parked function = %v, want ErrFunctionNotFound", name, err)
		}
	}
	if ts := r.AllTriggers(); len(ts) != 0 {
		t.Errorf("AllTriggers = %v, want none (B is parked)", ts)
	}
	if _, ok := r.ParkedFunction("B"); !ok {
		t.Error("ParkedFunction(B) = false")
	}
}

func TestParkKeepsEverythingAndRestores(t *testing.T) {
	tests := []struct {
		name    string
		restart bool // close and reopen the state between park and restore
		change  bool // the restoring Define changes the source
	}{
		{"live", false, false},
		{"live with a changed source", false, true},
		{"across a restart", true, false},
		{"across a restart with a changed source", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir, src := t.TempDir(), t.TempDir()
			writeFiles(t, src, map[string]string{"index.py": "v0"})
			now := clock()
			opts := func(o *Options) { o.Now = now }
			r := openAt(t, dir, opts)
			log := &changeLog{}
			r.Subscribe(log.add)
			grayscale(t, r, src)
			before := viewOf(t, r)
			log.take()

			p, err := r.Park(ctx, "B")
			if err != nil {
				t.Fatalf("Park: %v", err)
			}
			if want := []string{"1", "2", "3"}; !slices.Equal(p.Versions, want) {
				t.Errorf("parked versions %v, want %v", p.Versions, want)
			}
			if want := []string{Default, "prepub", "release"}; !slices.Equal(p.Aliases, want) {
				t.Errorf("parked aliases %v, want %v", p.Aliases, want)
			}
			if want := []string{"tick"}; !slices.Equal(p.Triggers, want) {
				t.Errorf("parked triggers %v, want %v", p.Triggers, want)
			}
			if got := log.take(); !slices.Equal(got, []ChangeKind{ChangeFunctionParked}) {
				t.Errorf("changes on Park = %v, want [function-parked]", got)
			}
			assertParked(t, r)
			if again, err := r.Park(ctx, "B"); err != nil || !reflect.DeepEqual(again, p) {
				t.Errorf("Park of a parked function = %+v, %v; want it unchanged", again, err)
			}
			if tc.restart {
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				r = openAt(t, dir, opts)
				r.Subscribe(log.add)
				assertParked(t, r)
				if got := r.ParkedFunctions(); len(got) != 1 || !reflect.DeepEqual(got[0], p) {
					t.Errorf("ParkedFunctions after restart = %+v, want [%+v]", got, p)
				}
			}

			if tc.change {
				writeFiles(t, src, map[string]string{"index.py": "edited while parked"})
			}
			if err := r.Define(ctx, testSpec("B", src)); err != nil {
				t.Fatalf("Define of a parked function: %v", err)
			}
			want := []ChangeKind{ChangeDefined, ChangeFunctionRestored}
			if tc.change {
				want = append(want, ChangeLatest)
			}
			if got := log.take(); !slices.Equal(got, want) {
				t.Errorf("changes on restore = %v, want %v", got, want)
			}
			if after := viewOf(t, r); !reflect.DeepEqual(before, after) {
				t.Errorf("restored B differs:\nbefore %+v\nafter  %+v", before, after)
			}
			if len(r.ParkedFunctions()) != 0 || len(r.Functions()) != 1 {
				t.Errorf("after restore: %d parked, %d active; want 0 and 1", len(r.ParkedFunctions()), len(r.Functions()))
			}
			for _, q := range []string{"1", "2", "3", "prepub"} {
				if _, _, err := r.Resolve("B", q, nil); err != nil {
					t.Errorf("Resolve(B, %s) after restore: %v", q, err)
				}
			}
			// The restored flag is durable too.
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			r = openAt(t, dir, opts)
			if len(r.ParkedFunctions()) != 0 || !reflect.DeepEqual(viewOf(t, r), before) {
				t.Errorf("after reopening the restored state: parked %v", r.ParkedFunctions())
			}
		})
	}
}

func TestParkedCodeSurvivesCollection(t *testing.T) {
	ctx := context.Background()
	dir, src := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v0"})
	r := openAt(t, dir, nil)
	grayscale(t, r, src)
	vs, _ := r.Versions("B")
	if _, err := r.Park(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Open collects trees nothing references: parked versions reference theirs.
	r = openAt(t, dir, nil)
	for _, v := range vs {
		if _, err := os.Stat(filepath.Join(v.CodeDir, "index.py")); err != nil {
			t.Errorf("version %s's code after Open: %v", v.Version, err)
		}
	}
}

func TestParkRefusals(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	if err := r.Create(ctx, managedSpec("M"), fillWith(map[string]string{"index.py": "v0"})); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Park(ctx, "M"); !errors.Is(err, ErrNotParkable) {
		t.Errorf("Park of an API-created function = %v, want ErrNotParkable", err)
	}
	if _, err := r.Park(ctx, "nope"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Park of a missing function = %v, want ErrFunctionNotFound", err)
	}
	if _, err := r.Park(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	before := stateBytes(t, r)
	err := r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0"}))
	if !errors.Is(err, ErrFunctionExists) || !errors.Is(err, ErrParked) {
		t.Errorf("Create over a parked name = %v, want ErrFunctionExists and ErrParked", err)
	}
	if err := r.Create(ctx, testSpec("B", src), nil); !errors.Is(err, ErrParked) {
		t.Errorf("Create with a source over a parked name = %v, want ErrParked", err)
	}
	if after := stateBytes(t, r); string(after) != string(before) {
		t.Error("a refused Create changed the state file")
	}
}

func TestDeleteDropsParked(t *testing.T) {
	ctx := context.Background()
	dir, src := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v0"})
	r := openAt(t, dir, nil)
	log := &changeLog{}
	r.Subscribe(log.add)
	grayscale(t, r, src)
	if _, err := r.Park(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	log.take()
	if err := r.Delete(ctx, "B"); err != nil {
		t.Fatalf("Delete of a parked function: %v", err)
	}
	if got := log.take(); !slices.Equal(got, []ChangeKind{ChangeFunctionDeleted}) {
		t.Errorf("changes = %v, want [function-deleted]", got)
	}
	if err := r.Delete(ctx, "B"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("second Delete = %v, want ErrFunctionNotFound", err)
	}
	if _, ok := r.ParkedFunction("B"); ok {
		t.Error("B is still parked after Delete")
	}
	// Defining it again starts from nothing.
	if err := r.Define(ctx, testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	if vs, _ := r.Versions("B"); len(vs) != 0 {
		t.Errorf("versions after delete and define = %d, want 0", len(vs))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = openAt(t, dir, nil)
	if len(r.ParkedFunctions()) != 0 {
		t.Errorf("parked after reopen: %v", r.ParkedFunctions())
	}
}

// TestParkedStateFile checks the on-disk form: one field marks the parked
// function, so each atomic write of state.json parks or restores it whole.
func TestParkedStateFile(t *testing.T) {
	ctx := context.Background()
	r, _ := setup(t, nil)
	tests := []struct {
		name   string
		op     func() error
		parked bool
	}{
		{"park", func() error { _, err := r.Park(ctx, "B"); return err }, true},
		{"restore", func() error { f, _ := r.ParkedFunction("B"); return r.Define(ctx, testSpec("B", f.Source)) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); err != nil {
				t.Fatal(err)
			}
			var ds diskState
			if err := json.Unmarshal(stateBytes(t, r), &ds); err != nil {
				t.Fatal(err)
			}
			if len(ds.Functions) != 1 || ds.Functions[0].ParkedAt.IsZero() == tc.parked {
				t.Errorf("state.json functions %+v: want B with parked = %v", ds.Functions, tc.parked)
			}
		})
	}
}
