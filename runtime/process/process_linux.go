//go:build linux

package process

import (
	"syscall"
)

// sysProcAttr puts the function in its own process group, so that Stop
// reaches everything it spawned, and has the kernel kill it if the emulator
// dies without cleaning up. Pdeathsig reaches only the direct child; its own
// children are caught by the group kill of a normal shutdown.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
