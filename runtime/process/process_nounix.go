//go:build !unix

package process

import (
	"errors"
	"os"
	"syscall"
)

// sysProcAttr has nothing to set without process groups.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills pid alone: without process groups its children survive.
func signalGroup(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
