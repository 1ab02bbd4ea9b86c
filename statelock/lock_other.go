//go:build !unix

package statelock

import (
	"errors"
	"io/fs"
	"os"
)

// Acquire does not lock where flock is unavailable; running two emulators
// on one state dir is then the user's responsibility.
func Acquire(string) (func() error, error) {
	return func() error { return nil }, nil
}

// Probe can only tell a directory that is gone; any other is Unknown, so
// that nothing of it is ever taken for abandoned.
func Probe(dir string) (State, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return Gone, nil
	}
	return Unknown, nil
}
