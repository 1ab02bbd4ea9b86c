//go:build unix && !linux

package registry

import "syscall"

// syncFS flushes all filesystems: sync(2) is the closest portable call to
// Linux's syncfs(2).
func syncFS(string) error {
	syscall.Sync()
	return nil
}
