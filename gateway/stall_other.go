//go:build !linux

package gateway

import "net"

// stallChunk is the most one write hands the kernel at once: each piece
// that goes is a sign of progress, so a client reading 64 KB per bound
// (1 KB/s at the default 60 s) keeps its answer coming.
const stallChunk = 64 << 10

// ackedBytes is not known here.
func ackedBytes(net.Conn) (uint64, bool) { return 0, false }
