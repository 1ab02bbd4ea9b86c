//go:build unix

package gateway

import (
	"net"
	"syscall"
)

// peerClosed reports whether the far end of an idle connection has closed
// it (or sent bytes nobody asked for, which spoils it as well), without
// blocking and without consuming anything.
func peerClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = rerr == nil || rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK && rerr != syscall.EINTR
		_ = n // 0 is EOF, more is unexpected data: closed either way
		return true
	})
	return closed || err != nil
}
