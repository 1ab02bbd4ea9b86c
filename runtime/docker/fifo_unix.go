//go:build unix

package docker

import "syscall"

// mkfifo makes the FIFO of a binary waiter's spare.
func mkfifo(p string) error { return syscall.Mkfifo(p, 0o600) }
