package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// idSource makes random (version 4) UUIDs for request ids from a buffer of
// crypto/rand output refilled 32 ids at a time, so an id costs one copy
// and one string, not a read of the random source and two allocations.
type idSource struct {
	mu  sync.Mutex // guards buf and off
	buf [16 * 32]byte
	off int // next unused byte of buf; len(buf) means empty
}

func newIDSource() *idSource { return &idSource{off: len(idSource{}.buf)} }

// next returns a new id in the canonical 8-4-4-4-12 form.
func (s *idSource) next() string {
	var u [16]byte
	s.mu.Lock()
	if s.off == len(s.buf) {
		_, _ = rand.Read(s.buf[:]) // never fails (crypto/rand panics instead)
		s.off = 0
	}
	copy(u[:], s.buf[s.off:])
	s.off += len(u)
	s.mu.Unlock()
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
