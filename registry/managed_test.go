package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// fillWith returns a FillFunc writing files (name -> content); names ending
// in "*" are written executable, without the star.
func fillWith(files map[string]string) FillFunc {
	return func(dir string) error {
		for name, content := range files {
			mode := os.FileMode(0o644)
			if n := len(name); n > 0 && name[n-1] == '*' {
				name, mode = name[:n-1], 0o755
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(content), mode); err != nil {
				return err
			}
		}
		return nil
	}
}

// recorder collects changes.
type recorder struct {
	mu      sync.Mutex // guards changes
	changes []Change
}

func record(r *Registry) *recorder {
	rec := &recorder{}
	r.Subscribe(func(c Change) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.changes = append(rec.changes, c)
	})
	return rec
}

func (rec *recorder) kinds() []ChangeKind {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []ChangeKind
	for _, c := range rec.changes {
		out = append(out, c.Kind)
	}
	return out
}

func (rec *recorder) last() Change {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.changes[len(rec.changes)-1]
}

func managedSpec(name string) FunctionSpec {
	s := testSpec(name, "")
	s.Aliases = []Alias{{Name: "release"}}
	return s
}

func readCode(t *testing.T, v Version, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(v.CodeDir, name))
	if err != nil {
		t.Fatalf("read %s of version %s: %v", name, v.Version, err)
	}
	return string(b)
}

func TestCreateManaged(t *testing.T) {
	ctx := context.Background()
	r := openAt(t, t.TempDir(), nil)
	rec := record(r)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0", "bin/run*": "#!/bin/sh"})))
	f, err := r.Function("B")
	must(err)
	if f.Source != r.ManagedSourceDir("B") || readCode(t, f.Latest, "index.py") != "v0" {
		t.Errorf("source %s, latest code %q", f.Source, readCode(t, f.Latest, "index.py"))
	}
	if fi, err := os.Stat(filepath.Join(f.Latest.CodeDir, "bin/run")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("executable bit lost: %v %v", fi, err)
	}
	if as, _ := r.Aliases("B", ""); len(as) != 2 || as[0].Name != Default || as[1].Name != "release" {
		t.Errorf("aliases = %+v", as)
	}
	if got := rec.kinds(); !reflect.DeepEqual(got, []ChangeKind{ChangeDefined}) {
		t.Errorf("changes = %v, want [defined]", got)
	}

	called := false
	err = r.Create(ctx, managedSpec("B"), func(string) error { called = true; return nil })
	if !errors.Is(err, ErrFunctionExists) || called {
		t.Errorf("second Create: err %v, fill called %v; want ErrFunctionExists before filling", err, called)
	}

	boom := errors.New("bad zip")
	if err := r.Create(ctx, managedSpec("C"), func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("failing fill: err = %v, want it wrapped", err)
	}
	if _, err := r.Function("C"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("a failed Create left function C: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(r.ManagedSourceDir("C"))); !os.IsNotExist(err) {
		t.Errorf("a failed Create left C's folder: %v", err)
	}

	tests := []struct {
		name string
		spec FunctionSpec
		fill FillFunc
	}{
		{"source and fill", testSpec("D", t.TempDir()), fillWith(nil)},
		{"name with a slash", managedSpec("../D"), fillWith(nil)},
		{"bad config", func() FunctionSpec { s := managedSpec("D"); s.Config.MemorySize = 0; return s }(), fillWith(nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.Create(ctx, tc.spec, tc.fill); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(r.dir, "D")); !os.IsNotExist(err) {
		t.Error("a refused name wrote outside the functions folder")
	}

	// Without fill Create takes the user's folder, as Define does.
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "user"})
	must(r.Create(ctx, testSpec("U", src), nil))
	if err := r.Create(ctx, testSpec("U", src), nil); !errors.Is(err, ErrFunctionExists) {
		t.Errorf("re-create U: %v", err)
	}
}

func TestUpdateCode(t *testing.T) {
	ctx := context.Background()
	r := openAt(t, t.TempDir(), nil)
	if err := r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0", "old.py": "gone soon"})); err != nil {
		t.Fatal(err)
	}
	v1, err := r.Publish(ctx, "B", "first")
	if err != nil {
		t.Fatal(err)
	}
	rec := record(r)
	srcInfo, _ := os.Stat(r.ManagedSourceDir("B"))

	ref, err := r.UpdateCode(ctx, "B", fillWith(map[string]string{"index.py": "v1"}), "index.other")
	if err != nil {
		t.Fatal(err)
	}
	if !ref.Changed || readCode(t, ref.Latest, "index.py") != "v1" || ref.Latest.Config.Handler != "index.other" || ref.Previous.CodeHash != v1.CodeHash {
		t.Errorf("refresh = %+v", ref)
	}
	if _, err := os.Stat(filepath.Join(r.ManagedSourceDir("B"), "old.py")); !os.IsNotExist(err) {
		t.Error("a file of the old code survived the update")
	}
	if now, _ := os.Stat(r.ManagedSourceDir("B")); !os.SameFile(srcInfo, now) {
		t.Error("the managed folder was replaced; a watcher on it would go blind")
	}
	if v, _ := r.Version("B", "1"); readCode(t, v, "index.py") != "v0" || v.Config.Handler != "index.main_handler" {
		t.Errorf("published version 1 changed: %q %s", readCode(t, v, "index.py"), v.Config.Handler)
	}
	if c := rec.last(); c.Kind != ChangeLatest || c.Previous.CodeHash != v1.CodeHash {
		t.Errorf("change = %+v, want ChangeLatest with the old $LATEST", c)
	}

	n := len(rec.kinds())
	ref, err = r.UpdateCode(ctx, "B", fillWith(map[string]string{"index.py": "v1"}), "")
	if err != nil || ref.Changed || len(rec.kinds()) != n {
		t.Errorf("same code: changed %v err %v, %d new changes", ref.Changed, err, len(rec.kinds())-n)
	}

	boom := errors.New("bad zip")
	if _, err := r.UpdateCode(ctx, "B", func(string) error { return boom }, ""); !errors.Is(err, boom) {
		t.Errorf("failing fill: %v", err)
	}
	if f, _ := r.Function("B"); readCode(t, f.Latest, "index.py") != "v1" || !fileExists(filepath.Join(r.ManagedSourceDir("B"), "index.py")) {
		t.Error("a failed update changed the code")
	}

	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "user"})
	if err := r.Define(ctx, testSpec("Y", src)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateCode(ctx, "Y", fillWith(map[string]string{"index.py": "x"}), ""); !errors.Is(err, ErrSourceNotManaged) {
		t.Errorf("update of a yaml function: %v, want ErrSourceNotManaged", err)
	}
	if _, err := r.UpdateCode(ctx, "nope", fillWith(nil), ""); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("missing function: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(r.ManagedSourceDir("B"))); len(ents) != 1 {
		t.Errorf("scratch folders left beside src: %v", ents)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestUpdateConfig(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	publishN(t, r, src, 1)
	rec := record(r)
	cfg := testSpec("B", src).Config
	cfg.MemorySize, cfg.Environment = 512, map[string]string{"NEW": "1"}
	f, err := r.UpdateConfig(ctx, "B", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.Config.MemorySize != 512 || f.Latest.Config.MemorySize != 512 || f.Latest.Config.Environment["NEW"] != "1" {
		t.Errorf("function = %+v", f)
	}
	if v, _ := r.Version("B", "1"); v.Config.MemorySize != 128 {
		t.Errorf("version 1 memory = %d, want its frozen 128", v.Config.MemorySize)
	}
	if _, c, _ := r.Resolve("B", Latest, nil); c.MemorySize != 512 {
		t.Errorf("routing table still has memory %d", c.MemorySize)
	}
	if c := rec.last(); c.Kind != ChangeLatest || c.Previous.Config.MemorySize != 128 {
		t.Errorf("change = %+v", c)
	}
	n := len(rec.kinds())
	if _, err := r.UpdateConfig(ctx, "B", cfg); err != nil || len(rec.kinds()) != n {
		t.Errorf("same config: err %v, %d new changes", err, len(rec.kinds())-n)
	}
	bad := cfg
	bad.Type = "web"
	if _, err := r.UpdateConfig(ctx, "B", bad); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad type: %v", err)
	}
	if _, err := r.UpdateConfig(ctx, "nope", cfg); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("missing: %v", err)
	}
}

func TestDeleteFunction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := openAt(t, dir, nil)
	if err := r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0"})); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Publish(ctx, "B", ""); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "user"})
	if err := r.Define(ctx, testSpec("Y", src)); err != nil {
		t.Fatal(err)
	}
	rec := record(r)
	latest, _ := r.Version("B", Latest)
	if err := r.Delete(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if c := rec.last(); c.Kind != ChangeFunctionDeleted || c.Function != "B" || c.Previous.CodeHash != latest.CodeHash {
		t.Errorf("change = %+v", c)
	}
	if _, _, err := r.Resolve("B", "", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Resolve after delete: %v", err)
	}
	if fileExists(filepath.Dir(r.ManagedSourceDir("B"))) {
		t.Error("B's managed folder survives")
	}
	if err := r.Delete(ctx, "B"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := r.Delete(ctx, "Y"); err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(src, "index.py")) {
		t.Error("deleting Y removed the user's folder")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, nil)
	if fns := r2.Functions(); len(fns) != 0 {
		t.Errorf("deleted functions back after restart: %v", fns)
	}
	if err := r2.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "again"})); err != nil {
		t.Fatal(err)
	}
	if v, err := r2.Publish(ctx, "B", ""); err != nil || v.Version != "1" {
		t.Errorf("a re-created function starts at version 1: %v %v", v.Version, err)
	}
}

func TestManagedSourceFollowsAMovedStateDir(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	r, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0"})); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(parent, "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, moved, nil)
	f, err := r2.Function("B")
	if err != nil || f.Source != r2.ManagedSourceDir("B") || !fileExists(filepath.Join(f.Source, "index.py")) {
		t.Fatalf("after the move: %+v %v", f, err)
	}
	if _, err := r2.UpdateCode(ctx, "B", fillWith(map[string]string{"index.py": "v1"}), ""); err != nil {
		t.Errorf("UpdateCode after the move: %v", err)
	}
}

func TestOpenRemovesManagedLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Create(ctx, managedSpec("B"), fillWith(map[string]string{"index.py": "v0"})); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	ghost := filepath.Join(dir, managedDir, "ghost", "src")
	scratch := filepath.Join(dir, managedDir, "B", tmpSrcPrefix+"123")
	for _, d := range []string{ghost, scratch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r2 := openAt(t, dir, nil)
	if fileExists(filepath.Dir(ghost)) || fileExists(scratch) {
		t.Error("Open left a deleted function's folder or a scratch folder")
	}
	if !fileExists(filepath.Join(r2.ManagedSourceDir("B"), "index.py")) {
		t.Error("Open removed a live function's source")
	}
}
