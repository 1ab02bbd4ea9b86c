package statelock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// Holder returns the pid that last took dir's lock, as Acquire records it in
// the lock file; 0 when none is recorded. It says who holds the lock only
// while the lock is held (see Probe): a process that died leaves its pid.
func Holder(dir string) int {
	b, err := os.ReadFile(lockPath(dir))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func lockPath(dir string) string { return filepath.Join(dir, FileName) }
