//go:build unix

package registry

import (
	"os/exec"
	"syscall"
)

// setProcessGroup makes cancellation kill the whole build, not only sh, so
// that compilers started by the build command do not outlive it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
