package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

type registryView struct {
	functions []Function
	versions  []Version
	aliases   []Alias
}

func fullView(t *testing.T, r *Registry) registryView {
	t.Helper()
	vs, err := r.Versions("B")
	if err != nil {
		t.Fatal(err)
	}
	as, err := r.Aliases("B", "")
	if err != nil {
		t.Fatal(err)
	}
	return registryView{functions: r.Functions(), versions: vs, aliases: as}
}

func TestRestartRestoresState(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v0", "lib/shared.py": "shared"})
	now := clock()
	opts := func(o *Options) { o.Now = now }
	r := openAt(t, dir, opts)
	ctx := context.Background()
	spec := testSpec("B", src)
	spec.Aliases = []Alias{{Name: "release"}, {Name: "prepub"}}
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	publishN(t, r, src, 3)
	if err := r.UpdateAlias("B", Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
		Weights: []VersionWeight{{"3", 0.25}}, Description: "grey"}); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateAlias("B", Alias{Name: "prepub", FunctionVersion: "3", Matches: []VersionMatch{
		{Version: Latest, Key: "invoke.headers.userHash", Method: "range", Expression: "[1,50)"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteVersion("B", "2"); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, src, map[string]string{"index.py": "unpublished"})
	if _, err := r.RefreshLatest(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	before := fullView(t, r)
	v2Tree := filepath.Join(dir, treesDir)
	treesBefore := dirNames(t, v2Tree)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateAlias("B", Alias{Name: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("mutation after Close = %v, want ErrClosed", err)
	}

	// A crash during a previous save left a temp file behind.
	if err := os.WriteFile(filepath.Join(dir, stateFile+tmpPrefix+"123"), []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, opts)
	after := fullView(t, r2)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("state after restart differs:\nbefore %+v\nafter  %+v", before, after)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile+tmpPrefix+"123")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temp state file was not removed: %v", err)
	}
	// Version 2's tree is referenced by nothing and is collected; the
	// trees of 1, 3 and $LATEST stay (v0 was only ever $LATEST).
	want := []string{}
	for _, v := range after.versions {
		want = append(want, v.CodeHash)
	}
	want = append(want, after.functions[0].Latest.CodeHash)
	sort.Strings(want)
	if got := dirNames(t, v2Tree); !reflect.DeepEqual(got, want) {
		t.Errorf("trees after restart = %v, want %v (before: %v)", got, want, treesBefore)
	}
	// Objects: three manifests, shared.py, and index.py of 1, 3 and $LATEST.
	if objs := listObjects(t, r2); len(objs) != 7 {
		t.Errorf("objects after restart = %d (%v), want 7", len(objs), objs)
	}
	for _, v := range after.versions {
		if files := treeFiles(t, v.CodeDir); files["lib/shared.py"] != "shared" {
			t.Errorf("version %s tree lost files: %v", v.Version, files)
		}
	}
	// Routing works from the restored table without any Define.
	if d, _, err := r2.Resolve("B", "prepub", mapKeys{"userHash": "7"}); err != nil || d.Version != Latest {
		t.Errorf("prepub after restart = %+v, %v", d, err)
	}
	v, err := r2.Publish(ctx, "B", "")
	if err != nil || v.Version != "4" {
		t.Errorf("publish after restart = %q, %v; want 4", v.Version, err)
	}
}

func TestRestartRebuildsMissingTree(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v0"})
	r := openAt(t, dir, nil)
	if err := r.Define(context.Background(), testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	v, err := r.Publish(context.Background(), "B", "")
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
	if err := os.RemoveAll(v.CodeDir); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, nil)
	got, _ := r2.Version("B", "1")
	if files := treeFiles(t, got.CodeDir); files["index.py"] != "v0" {
		t.Errorf("tree not rebuilt from its manifest: %v", files)
	}
}

func TestOpenLocksDir(t *testing.T) {
	dir := t.TempDir()
	_ = openAt(t, dir, nil)
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrStateLocked) {
		t.Errorf("second Open = %v, want ErrStateLocked", err)
	}
}

func TestOpenRejectsUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"format": 2, "functions": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir}); err == nil {
		t.Error("Open accepted state format 2")
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}
