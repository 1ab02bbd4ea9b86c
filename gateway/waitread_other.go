//go:build !unix

package gateway

import "errors"

// Elsewhere waitRead is off: a send, then a read as net.Conn does.
const canReadFD = false

func readFD(uintptr, []byte) (int, bool, error) {
	return 0, false, errors.New("gateway: no descriptor reads on this platform")
}
