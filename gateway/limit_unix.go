//go:build unix

package gateway

import "syscall"

// openFileLimit returns how many files the process may have open (Go
// raises the soft limit to the hard one at start).
func openFileLimit() (int, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0, false
	}
	return int(rl.Cur), true
}
