//go:build unix && !linux

package process

import (
	"syscall"
)

// sysProcAttr puts the function in its own process group, so that Stop
// reaches everything it spawned. There is no parent-death signal outside
// Linux: a crashed emulator can leave functions running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
