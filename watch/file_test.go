package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// startFile watches dir/emulator.yaml with a recorder (whose Func gets the
// name "") and returns the path.
func startFile(t *testing.T, r *recorder, dir string) (*FileWatcher, string) {
	t.Helper()
	p := filepath.Join(dir, "emulator.yaml")
	fn := r.fn(t)
	w, err := NewFile(p, func(ctx context.Context) error { _, err := fn(ctx, ""); return err }, realOptions)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	t.Cleanup(func() {
		w.Close()
		<-ran
	})
	return w, p
}

func TestFileWatcher(t *testing.T) {
	t.Run("burst of writes gives one call", func(t *testing.T) {
		r := &recorder{}
		_, p := startFile(t, r, t.TempDir())
		for i := range 20 {
			write(t, p, "v"+string(rune('a'+i)))
		}
		r.waitCalls(t, 1)
		r.stays(t, 1, "after a burst of 20 writes")
	})
	t.Run("rename-over save triggers, other files do not", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "emulator.yaml"), "old")
		r := &recorder{}
		_, p := startFile(t, r, dir)
		write(t, filepath.Join(dir, "index.py"), "code")
		write(t, filepath.Join(dir, ".emulator.yaml.swp"), "swap")
		write(t, filepath.Join(dir, "sub", "emulator.yaml"), "not this one")
		r.stays(t, 0, "other files of the folder")
		write(t, p+".tmp", "new")
		if err := os.Rename(p+".tmp", p); err != nil {
			t.Fatal(err)
		}
		r.waitCalls(t, 1)
		r.stays(t, 1, "after one rename-over save")
	})
	t.Run("creating the file triggers; a bare chmod does not", func(t *testing.T) {
		r := &recorder{}
		_, p := startFile(t, r, t.TempDir())
		write(t, p, "functions: {}")
		r.waitCalls(t, 1)
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		r.stays(t, 1, "after chmod")
	})
	t.Run("a save during a call gives exactly one more", func(t *testing.T) {
		r := &recorder{}
		release := make(chan struct{})
		started := make(chan struct{}, 1)
		r.hook = func(n int32) []string {
			if n == 1 {
				started <- struct{}{}
				<-release
			}
			return nil
		}
		_, p := startFile(t, r, t.TempDir())
		write(t, p, "a")
		<-started
		write(t, p, "b")
		write(t, p, "c")
		close(release)
		r.waitCalls(t, 2)
		r.stays(t, 2, "after two saves during one call")
	})
}

func TestFileWatcherClose(t *testing.T) {
	r := &recorder{}
	w, p := startFile(t, r, t.TempDir())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, p, "after close")
	r.stays(t, 0, "after Close")
	if err := w.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
