//go:build unix && !linux

package runtime

import (
	"os"
	"syscall"
)

// sysProcAttr puts the function in its own process group, so that Stop
// reaches everything it spawned. There is no parent-death signal outside
// Linux: a crashed emulator can leave functions running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// pipePending cannot tell outside Linux; output.flush then waits briefly.
func pipePending(*os.File) int { return -1 }

// memUsage is unknown outside Linux.
func memUsage(int) int64 { return 0 }
