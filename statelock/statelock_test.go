//go:build unix

package statelock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	root := t.TempDir()
	held := filepath.Join(root, "held")
	free := filepath.Join(root, "free")
	fresh := filepath.Join(root, "fresh") // exists, no lock file yet
	for _, d := range []string{held, free, fresh} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	release, err := Acquire(held)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	r2, err := Acquire(free)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		dir  string
		want State
	}{
		{"held", held, Held},
		{"released", free, Free},
		{"no lock file", fresh, Free},
		{"gone", filepath.Join(root, "gone"), Gone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Probe(tc.dir)
			if err != nil || got != tc.want {
				t.Errorf("Probe = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(fresh, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Probe created the lock file (%v)", err)
	}
}

func TestProbeLeavesTheHolderAlone(t *testing.T) {
	dir := t.TempDir()
	release, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if s, err := Probe(dir); err != nil || s != Held {
			t.Fatalf("Probe = %v, %v; want held", s, err)
		}
	}
	// Still held: a second Acquire fails.
	if _, err := Acquire(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire = %v, want ErrLocked", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// A probe of a free dir does not keep it: Acquire after it works.
	if s, err := Probe(dir); err != nil || s != Free {
		t.Fatalf("Probe after release = %v, %v; want free", s, err)
	}
	r, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after a probe: %v", err)
	}
	r()
}

// TestHolderNamesTheProcess: a refused start can say which process holds
// the state dir; a dir nobody ever locked names none.
func TestHolderNamesTheProcess(t *testing.T) {
	dir := t.TempDir()
	if pid := Holder(dir); pid != 0 {
		t.Errorf("Holder of a fresh dir = %d, want 0", pid)
	}
	release, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if pid := Holder(dir); pid != os.Getpid() {
		t.Errorf("Holder = %d, want this process, %d", pid, os.Getpid())
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second Acquire = %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if s, err := Probe(dir); err != nil || s != Held {
		t.Errorf("Probe = %v, %v; want held", s, err)
	}
}
