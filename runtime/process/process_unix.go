//go:build unix

package process

import (
	"errors"
	"syscall"
)

// signalGroup sends sig to the process group led by pid. A group that is
// already gone, or never was (pid 0: a process that failed to start), is
// not an error; kill(-0) would signal the caller's own group, the emulator.
func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
