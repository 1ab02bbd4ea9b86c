package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func listObjects(t *testing.T, r *Registry) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(r.dir, objectsDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// treeFiles lists the files of a tree with their content.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSnapshotDeduplicates(t *testing.T) {
	r, src := setup(t, nil)
	writeFiles(t, src, map[string]string{"lib/shared.py": "shared", "index.py": "one"})
	v1, err := r.Publish(context.Background(), "B", "")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, src, map[string]string{"index.py": "two"})
	v2, err := r.Publish(context.Background(), "B", "")
	if err != nil {
		t.Fatal(err)
	}
	if v1.CodeHash == v2.CodeHash {
		t.Fatal("changed code kept its hash")
	}
	// Define's first snapshot stored index.py v0 and its manifest; each
	// publish adds one index.py and one manifest; shared.py is stored once.
	objs := listObjects(t, r)
	if len(objs) != 7 {
		t.Errorf("objects = %d (%v), want 7: shared once, index.py x3, manifests x3", len(objs), objs)
	}
	a, err1 := os.Stat(filepath.Join(v1.CodeDir, "lib", "shared.py"))
	b, err2 := os.Stat(filepath.Join(v2.CodeDir, "lib", "shared.py"))
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		t.Errorf("shared.py is not one hard-linked object in both trees (%v, %v)", err1, err2)
	}
	if v1.CodeSize != int64(len("shared")+len("one")) {
		t.Errorf("CodeSize = %d", v1.CodeSize)
	}
	if !filepath.IsAbs(v1.CodeDir) || !strings.HasSuffix(v1.CodeDir, v1.CodeHash) {
		t.Errorf("CodeDir = %s", v1.CodeDir)
	}
}

func TestSnapshotTreeImmutable(t *testing.T) {
	r, src := setup(t, nil)
	writeFiles(t, src, map[string]string{"bin/run": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(src, "bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	v1, err := r.Publish(context.Background(), "B", "")
	if err != nil {
		t.Fatal(err)
	}
	before := treeFiles(t, v1.CodeDir)
	for p, want := range map[string]os.FileMode{"index.py": 0o444, "bin/run": 0o555} {
		fi, err := os.Stat(filepath.Join(v1.CodeDir, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", p, got, want)
		}
	}
	// Editing the source in place must not reach the published tree.
	f, err := os.OpenFile(filepath.Join(src, "index.py"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("edited in place")
	_ = f.Close()
	ref, err := r.RefreshLatest(context.Background(), "B")
	if err != nil || !ref.Changed {
		t.Fatalf("refresh = %+v, %v", ref, err)
	}
	if after := treeFiles(t, v1.CodeDir); !reflect.DeepEqual(before, after) {
		t.Errorf("version 1 tree changed: %v -> %v", before, after)
	}
	if ref.Previous.CodeHash != v1.CodeHash || ref.Latest.CodeHash == v1.CodeHash {
		t.Errorf("refresh previous/latest = %s/%s", ref.Previous.CodeHash, ref.Latest.CodeHash)
	}
}

func TestSnapshotExclusions(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"index.py":                      "code",
		".git/config":                   "x",
		"__pycache__/index.cpython.pyc": "x",
		"lib/__pycache__/a.pyc":         "x",
		".DS_Store":                     "x",
		"lib/.DS_Store":                 "x",
		"lib/a.py":                      "a",
	})
	// The state dir lives inside the source, as .emulator beside the config.
	r := openAt(t, filepath.Join(src, ".emulator"), nil)
	if err := r.Define(context.Background(), testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	latest, _ := r.Version("B", Latest)
	got := treeFiles(t, latest.CodeDir)
	want := map[string]string{"index.py": "code", "lib/a.py": "a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
	writeFiles(t, src, map[string]string{".git/HEAD": "y", "__pycache__/b.pyc": "y"})
	if ref, err := r.RefreshLatest(context.Background(), "B"); err != nil || ref.Changed {
		t.Errorf("changes in excluded dirs: refresh = %+v, %v; want unchanged", ref.Changed, err)
	}
}

func TestSnapshotSymlinks(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	writeFiles(t, root, map[string]string{"outside.txt": "secret", "src/real/data.txt": "data", "src/index.py": "code"})
	links := map[string]string{
		"src/link.txt":  "real/data.txt",  // inside: stored as content
		"src/linkdir":   "real",           // directory inside: walked
		"src/escape":    "../outside.txt", // leaves the tree: skipped
		"src/dangling":  "nope.txt",       // dangling: skipped
		"src/real/loop": "..",             // cycle: skipped, no hang
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	var logs syncBuffer
	r := openAt(t, t.TempDir(), func(o *Options) { o.Logger = bufLogger(&logs) })
	if err := r.Define(context.Background(), testSpec("B", src)); err != nil {
		t.Fatal(err)
	}
	latest, _ := r.Version("B", Latest)
	got := treeFiles(t, latest.CodeDir)
	want := map[string]string{
		"index.py": "code", "real/data.txt": "data", "link.txt": "data", "linkdir/data.txt": "data",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
	if fi, err := os.Lstat(filepath.Join(latest.CodeDir, "link.txt")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("link.txt in the tree is a symlink or missing: %v", err)
	}
	for _, msg := range []string{"leaves the source tree", "dangling", "cycle"} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("no warning containing %q in logs:\n%s", msg, logs.String())
		}
	}
}

func TestBuildOutputs(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "code", "keep.txt": "k"})
	r := openAt(t, t.TempDir(), nil)
	spec := testSpec("B", src)
	spec.Build = "echo x > out.txt && mkdir -p dist && echo y > dist/app.js"
	if err := r.Define(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	latest, _ := r.Version("B", Latest)
	if files := treeFiles(t, latest.CodeDir); files["out.txt"] != "x\n" || files["dist/app.js"] != "y\n" {
		t.Errorf("build outputs missing from the snapshot: %v", files)
	}
	time.Sleep(10 * time.Millisecond) // let mtimes move on coarse filesystems
	ref, err := r.RefreshLatest(context.Background(), "B")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dist/app.js", "out.txt"}; !reflect.DeepEqual(ref.BuildOutputs, want) {
		t.Errorf("BuildOutputs = %v, want %v", ref.BuildOutputs, want)
	}
	if ref.Changed {
		t.Errorf("rebuilding identical outputs changed $LATEST")
	}
}

func TestFailedBuildKeepsLatest(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"index.py": "v1"})
	r := openAt(t, t.TempDir(), nil)
	spec := testSpec("B", src)
	spec.Build = `if [ -f fail ]; then i=0; while [ $i -lt 300 ]; do echo "noise line $i"; i=$((i+1)); done; echo boom >&2; exit 2; fi`
	if err := r.Define(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	before, _ := r.Version("B", Latest)
	writeFiles(t, src, map[string]string{"index.py": "v2", "fail": ""})
	_, err := r.RefreshLatest(context.Background(), "B")
	if !errors.Is(err, ErrBuildFailed) {
		t.Fatalf("refresh = %v, want ErrBuildFailed", err)
	}
	if !strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "noise line 0\n") || len(err.Error()) > buildTailBytes+300 {
		t.Errorf("error should carry only the tail of the output, got %d bytes:\n%s", len(err.Error()), err)
	}
	if after, _ := r.Version("B", Latest); !reflect.DeepEqual(before, after) {
		t.Errorf("$LATEST changed after a failed build: %+v", after)
	}
	if _, err := r.Publish(context.Background(), "B", ""); !errors.Is(err, ErrBuildFailed) {
		t.Errorf("publish with a failing build = %v", err)
	}
	if vs, _ := r.Versions("B"); len(vs) != 0 {
		t.Errorf("a publish with a failing build created %d versions", len(vs))
	}
}

func TestBuildTimeout(t *testing.T) {
	src := t.TempDir()
	r := openAt(t, t.TempDir(), func(o *Options) { o.BuildTimeout = 300 * time.Millisecond })
	spec := testSpec("B", src)
	spec.Build = "sleep 30 & sleep 30" // a background child must die too
	start := time.Now()
	err := r.Define(context.Background(), spec)
	if !errors.Is(err, ErrBuildFailed) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Define = %v, want a timed-out build", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("build kept running for %v after its timeout", d)
	}
	if _, err := r.Function("B"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("a failed first Define left a function behind: %v", err)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := manifest{
		{path: "b/c d.txt", hash: strings.Repeat("a", 64), size: 3},
		{path: "a", exec: true, hash: strings.Repeat("b", 64), size: 0},
	}
	m.sort()
	got, err := decodeManifest(m.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("decode(encode(m)) = %+v, want %+v", got, m)
	}
	names := []string{got[0].path, got[1].path}
	if !sort.StringsAreSorted(names) {
		t.Errorf("manifest not sorted: %v", names)
	}
}
