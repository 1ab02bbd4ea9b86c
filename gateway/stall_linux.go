package gateway

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// stallChunk is the most one write hands the kernel at once. Linux shows a
// slow reader's progress inside a long write (ackedBytes), so writes go
// whole: pieces would cost syscalls for nothing.
const stallChunk = 1<<31 - 1

// ackedBytes returns how many bytes the client of a TCP connection has
// acknowledged so far, and false when that cannot be known. The count moves
// while the client reads, even when the kernel wakes the writer seldom (a
// full send buffer takes a third of itself drained to wake it).
func ackedBytes(nc net.Conn) (uint64, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var info *unix.TCPInfo
	cerr := raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if cerr != nil || err != nil {
		return 0, false
	}
	return info.Bytes_acked, true
}
