//go:build unix

package docker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
)

func TestMergeLayers(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/lib/x.py", "a")
	write("a/clash", "file in a")
	write("b/lib/x.py", "b")
	write("b/lib/y.py", "b")
	write("b/clash/inner", "dir in b")
	d := &Docker{workDir: filepath.Join(root, "work")}
	dir, err := d.layerTree(withLayers(filepath.Join(root, "a"), filepath.Join(root, "b")))
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"lib/x.py": "a", "lib/y.py": "b", "clash": "file in a"} {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q (%v), want %q", rel, got, err, want)
		}
	}
	ai, _ := os.Stat(filepath.Join(root, "a/lib/x.py"))
	mi, _ := os.Stat(filepath.Join(dir, "lib/x.py"))
	if !os.SameFile(ai, mi) {
		t.Error("merged file is a copy, want a hard link")
	}
	again, err := d.layerTree(withLayers(filepath.Join(root, "a"), filepath.Join(root, "b")))
	if err != nil || again != dir {
		t.Errorf("second merge = %q, %v; want the same tree %q", again, err, dir)
	}
	if one, _ := d.layerTree(withLayers(filepath.Join(root, "b"))); one != filepath.Join(root, "b") {
		t.Errorf("one layer mounts %q, want the layer's own tree", one)
	}
}

func withLayers(layers ...string) runtime.Spec {
	spec := dockerSpec("", "Python3.9", "event")
	spec.Layers = layers
	return spec
}
