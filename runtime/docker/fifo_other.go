//go:build !unix

package docker

import (
	"errors"
	"os"
)

// mkfifo fails: without FIFOs only the shell waiter, which needs none, runs
// spares (and this binary could not be the waiter in a Linux container).
func mkfifo(p string) error {
	return &os.PathError{Op: "mkfifo", Path: p, Err: errors.ErrUnsupported}
}
