package registry

import (
	"errors"
	"fmt"

	"github.com/scf-emulator/emulator/statelock"
)

// lockDir takes the state dir's lock (package statelock) so that two
// emulators never write, or garbage-collect, the same state dir.
func lockDir(dir string) (func() error, error) {
	release, err := statelock.Acquire(dir)
	if errors.Is(err, statelock.ErrLocked) {
		if pid := statelock.Holder(dir); pid > 0 {
			return nil, fmt.Errorf("%w: %s (held by pid %d)", ErrStateLocked, dir, pid)
		}
		return nil, fmt.Errorf("%w: %s", ErrStateLocked, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	return release, nil
}
