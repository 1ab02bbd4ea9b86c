//go:build unix

package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockHost takes an exclusive lock, named name, that every emulator on this
// machine shares (a file in the temporary directory), and returns its
// release. It waits for the holder until ctx ends. When the lock file cannot
// be opened (another user's, with modes that refuse us) it goes on without
// the lock: the caller copes with the race, only less tidily.
func lockHost(ctx context.Context, name string) (release func(), err error) {
	path := filepath.Join(os.TempDir(), "scf-emulator-"+name+".lock")
	// Read-only: flock needs no write access, so another user's file does.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|syscall.O_NOFOLLOW, 0o666)
	if err != nil {
		return func() {}, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases it
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return func() {}, err
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return func() {}, ctx.Err()
		case <-time.After(hostLockPoll):
		}
	}
}

// hostLockPoll is how often lockHost tries again; the lock is held for a
// few daemon calls.
const hostLockPoll = 10 * time.Millisecond
