package codezip

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzZipImport feeds arbitrary bytes to Extract. Whatever arrives, it must
// not panic, must write nothing outside the target folder, must leave the
// folder empty when it fails, and every symlink it keeps must resolve inside
// the folder. Seeds: testdata/fuzz/FuzzZipImport (valid trees, zip slip,
// escaping and chained symlinks, duplicates, a lying size header).
func FuzzZipImport(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "dst")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Extract(context.Background(), data, dir, Limits{MaxBytes: 1 << 20, MaxEntries: 200})
		ents, rerr := os.ReadDir(parent)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if len(ents) != 1 || ents[0].Name() != "dst" {
			t.Fatalf("extract wrote beside the target: %v", ents)
		}
		if err != nil {
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("target not emptied after %v: %v", err, left)
			}
			return
		}
		root, rerr := filepath.EvalSymlinks(dir)
		if rerr != nil {
			t.Fatal(rerr)
		}
		werr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				t.Errorf("kept symlink %s does not resolve: %v", p, err)
				return nil
			}
			if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
				t.Errorf("kept symlink %s resolves outside the target: %s", p, real)
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
	})
}
