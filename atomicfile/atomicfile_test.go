package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name  string
		old   string // "" = no previous file
		write string
	}{
		{"new file", "", "first"},
		{"replaces", "old content that is longer", "new"},
		{"empty", "something", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.old != "" {
				if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(dir, "state.json", []byte(tt.write)); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "state.json"))
			if err != nil || string(got) != tt.write {
				t.Fatalf("content = %q, %v; want %q", got, err, tt.write)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Fatalf("dir holds %d entries, want only the target", len(ents))
			}
		})
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "absent"), "x", []byte("y")); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.json" + TempInfix + "123", "a.json" + TempInfix + "456", "a.json", "b.json" + TempInfix + "1"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := RemoveTemps(dir, "a.json")
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemps = %d, %v; want 2, nil", n, err)
	}
	for _, keep := range []string{"a.json", "b.json" + TempInfix + "1"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}
