//go:build unix

package gateway

import "syscall"

const canReadFD = true

// readFD reads from the non-blocking descriptor fd; again reports that
// nothing was there to read.
func readFD(fd uintptr, p []byte) (n int, again bool, err error) {
	for {
		n, err = syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err == syscall.EAGAIN, err
		}
	}
}
