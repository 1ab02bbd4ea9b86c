package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func readIn(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLayerPinning(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	v1, err := r.PublishLayer(ctx, LayerSpec{Name: "common", Runtimes: []string{"Python3.9"}}, fillWith(map[string]string{"util.py": "V = 1\n"}))
	if err != nil || v1.Version != 1 {
		t.Fatalf("PublishLayer = %+v, %v", v1, err)
	}
	spec := testSpec("B", src)
	spec.Config.Layers = []LayerRef{{Name: "common"}}
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	pub, err := r.Publish(ctx, "B", "with layer 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Config.Layers) != 1 || pub.Config.Layers[0].Version != 1 {
		t.Fatalf("published layers = %+v, want common pinned at 1", pub.Config.Layers)
	}
	var changes []Change
	r.Subscribe(func(c Change) { changes = append(changes, c) })
	if _, err := r.PublishLayer(ctx, LayerSpec{Name: "common"}, fillWith(map[string]string{"util.py": "V = 2\n"})); err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Kind != ChangeLatest || changes[0].Function != "B" {
		t.Fatalf("changes = %+v, want one ChangeLatest of B", changes)
	}
	cases := []struct{ qualifier, want string }{{"1", "V = 1\n"}, {Latest, "V = 2\n"}}
	for _, c := range cases {
		t.Run(c.qualifier, func(t *testing.T) {
			d, _, err := r.Resolve("B", c.qualifier, nil)
			if err != nil {
				t.Fatal(err)
			}
			dirs := d.Layers.Dirs()
			if len(dirs) != 1 {
				t.Fatalf("layers = %v", dirs)
			}
			if got := readIn(t, dirs[0], "util.py"); got != c.want {
				t.Errorf("util.py = %q, want %q", got, c.want)
			}
		})
	}
	if err := r.DeleteLayerVersion("common", 1); !errors.Is(err, ErrLayerInUse) {
		t.Fatalf("delete pinned version: %v, want ErrLayerInUse", err)
	}
	// The state survives a restart, pins included.
	dir := r.dir
	_ = r.Close()
	r2 := openAt(t, dir, nil)
	v, err := r2.Version("B", "1")
	if err != nil || len(v.Layers) != 1 || v.Layers[0].Version != 1 {
		t.Fatalf("after restart version 1 = %+v, %v", v.Layers, err)
	}
	vs, err := r2.LayerVersions("common")
	if err != nil || len(vs) != 2 {
		t.Fatalf("LayerVersions = %d, %v", len(vs), err)
	}
}

func TestLayerFolderReload(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	ldir := t.TempDir()
	writeFiles(t, ldir, map[string]string{"python/util.py": "A\n"})
	l, err := r.DefineLayer(ctx, LayerSpec{Name: "common", Source: ldir})
	if err != nil || l.Newest.Version != 1 {
		t.Fatalf("DefineLayer = %+v, %v", l, err)
	}
	spec := testSpec("B", src)
	spec.Config.Layers = []LayerRef{{Name: "common"}}
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	before, _ := r.Version("B", Latest)
	writeFiles(t, ldir, map[string]string{"python/util.py": "B\n"})
	changed, err := r.RefreshLayer(ctx, "common")
	if err != nil || !changed {
		t.Fatalf("RefreshLayer = %v, %v", changed, err)
	}
	after, _ := r.Version("B", Latest)
	if after.RunHash() == before.RunHash() || after.CodeHash != before.CodeHash {
		t.Fatalf("run hash %s -> %s, code hash %s -> %s: want only the run hash to change", before.RunHash(), after.RunHash(), before.CodeHash, after.CodeHash)
	}
	if got := readIn(t, after.Layers[0].CodeDir, "python/util.py"); got != "B\n" {
		t.Fatalf("$LATEST layer content %q", got)
	}
	if vs, _ := r.LayerVersions("common"); len(vs) != 1 {
		t.Fatalf("a reload published: %d versions", len(vs))
	}
	// Publishing the function publishes the edited layer first, so the
	// version pins what $LATEST ran.
	pub, err := r.Publish(ctx, "B", "")
	if err != nil {
		t.Fatal(err)
	}
	if pub.Config.Layers[0].Version != 2 || readIn(t, pub.Layers[0].CodeDir, "python/util.py") != "B\n" {
		t.Fatalf("published pins %+v", pub.Layers)
	}
}

func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	spec := testSpec("B", src)
	spec.Namespace = "prod"
	if err := r.Create(ctx, spec, nil); !errors.Is(err, ErrNamespaceNotFound) {
		t.Fatalf("Create in a missing namespace: %v", err)
	}
	if err := r.CreateNamespace("prod", "production"); err != nil {
		t.Fatal(err)
	}
	if err := r.Create(ctx, spec, nil); err != nil {
		t.Fatalf("same name in another namespace: %v", err)
	}
	f, err := r.Function(Key("prod", "B"))
	if err != nil || f.Namespace != "prod" || f.Name != "prod/B" {
		t.Fatalf("Function = %+v, %v", f, err)
	}
	if _, err := r.Function("B"); err != nil {
		t.Fatalf("default B: %v", err)
	}
	if err := r.DeleteNamespace("prod"); !errors.Is(err, ErrNamespaceNotEmpty) {
		t.Fatalf("DeleteNamespace non-empty: %v", err)
	}
	if err := r.DeleteNamespace(DefaultNamespace); !errors.Is(err, ErrInvalidNamespace) {
		t.Fatalf("DeleteNamespace default: %v", err)
	}
	dir := r.dir
	_ = r.Close()
	r2 := openAt(t, dir, nil)
	if got := r2.Namespaces(); len(got) != 2 || got[1].Name != "prod" {
		t.Fatalf("Namespaces after restart = %+v", got)
	}
	if _, err := r2.Function("prod/B"); err != nil {
		t.Fatalf("prod/B after restart: %v", err)
	}
	if err := r2.Delete(ctx, "prod/B"); err != nil {
		t.Fatal(err)
	}
	if err := r2.DeleteNamespace("prod"); err != nil {
		t.Fatalf("DeleteNamespace empty: %v", err)
	}
}
