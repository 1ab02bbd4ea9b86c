//go:build !unix

package gateway

import "errors"

// Elsewhere upReader sends, then reads as net.Conn does.
const canReadFD = false

func readFD(uintptr, []byte) (int, bool, error) {
	return 0, false, errors.New("gateway: no descriptor reads on this platform")
}
