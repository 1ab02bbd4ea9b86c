package docker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLangPathsDocumented(t *testing.T) {
	paths := LangPaths()
	// The paths the platform's documentation shows in scf_bootstrap files.
	for _, want := range []string{
		"/var/lang/python3/bin/python3", "/var/lang/python37/bin/python3", "/var/lang/python39/bin/python3",
		"/var/lang/node12/bin/node", "/var/lang/node16/bin/node", "/var/lang/node18/bin/node",
		"/var/lang/php7/bin/php", "/var/lang/php80/bin/php",
	} {
		if !slices.Contains(paths, want) {
			t.Errorf("LangPaths lacks %s", want)
		}
	}
}

func TestWriteLangDir(t *testing.T) {
	dir := t.TempDir()
	for round := range 2 { // the second round finds everything in place
		if err := writeLangDir(dir); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	for rel, cmd := range langPaths {
		path := filepath.Join(dir, langDirName, filepath.FromSlash(rel))
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", rel, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(b), "#!/bin/sh\n") || !strings.Contains(string(b), "exec "+cmd+` "$@"`) {
			t.Errorf("%s:\n%s\nwant a /bin/sh script that execs %s", rel, b, cmd)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, langDirName, "*", "bin", ".lang-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
