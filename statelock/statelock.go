package statelock

import (
	"errors"
	"path/filepath"
)

// FileName is the lock file inside a state directory.
const FileName = "lock"

// ErrLocked means another process holds the state directory.
var ErrLocked = errors.New("state directory is in use by another process")

// State is what Probe found out about a state directory.
type State int

const (
	// Unknown: the probe could not tell (an error, or a platform without
	// file locks); treat the directory as in use.
	Unknown State = iota
	// Held: a process holds the lock, so an emulator runs on it.
	Held
	// Free: the directory exists and nobody holds its lock.
	Free
	// Gone: the directory does not exist any more.
	Gone
)

func (s State) String() string {
	switch s {
	case Held:
		return "held"
	case Free:
		return "free"
	case Gone:
		return "gone"
	}
	return "unknown"
}

func lockPath(dir string) string { return filepath.Join(dir, FileName) }
