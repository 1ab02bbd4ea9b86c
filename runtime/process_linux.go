//go:build linux

package runtime

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// sysProcAttr puts the function in its own process group, so that Stop
// reaches everything it spawned, and has the kernel kill it if the emulator
// dies without cleaning up. Pdeathsig reaches only the direct child; its own
// children are caught by the group kill of a normal shutdown.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// memUsage returns the resident set size of pid in bytes, 0 when unknown.
func memUsage(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest) // "12345 kB"
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
