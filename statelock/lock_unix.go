//go:build unix

package statelock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Acquire takes the exclusive lock of dir, which must exist, and returns
// its release. A lock held elsewhere is ErrLocked. Probe holds the lock for
// an instant; Acquire retries for a few milliseconds so that a probe never
// makes an emulator's start fail.
func Acquire(dir string) (release func() error, err error) {
	f, err := os.OpenFile(lockPath(dir), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Who holds it, for a refused start's message; the lock, not
			// this content, says whether it is held.
			if terr := f.Truncate(0); terr == nil {
				_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return f.Close, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || attempt == probeRetries {
			break
		}
		time.Sleep(probeRetryDelay)
	}
	_ = f.Close()
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("lock state dir %s: %w", dir, err)
	}
	if pid := Holder(dir); pid > 0 {
		return nil, fmt.Errorf("%w: %s (held by pid %d)", ErrLocked, dir, pid)
	}
	return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
}

// probeRetries and probeRetryDelay outlast a probe's lock by far: it holds
// it for the time of two system calls.
const (
	probeRetries    = 5
	probeRetryDelay = 10 * time.Millisecond
)

// Probe tells whether an emulator holds dir: it tries the lock without
// waiting and, when it gets it, releases it at once. It never creates the
// lock file or the directory. A directory without a lock file is Free: no
// emulator ever ran there, or one is only starting (it locks before it
// creates any container, so nothing it owns exists yet).
func Probe(dir string) (State, error) {
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Gone, nil
		}
		return Unknown, err
	}
	// Read-only: flock does not need write access, and a probe must not
	// create or change anything.
	f, err := os.Open(lockPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return Free, nil
	}
	if err != nil {
		return Unknown, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return Held, nil
	}
	if err != nil {
		return Unknown, err
	}
	return Free, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
