package gateway

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// errConnClosing ends a client connection whose server is shutting down.
var errConnClosing = errors.New("gateway server: connection closing")

// waitRead sends what waits to go out on a connection, then waits for the
// peer's next bytes without reading first. Both ends of the gateway's web
// path read right after sending: the function's answer to the request just
// sent, the client's next request after its answer. A read then usually
// finds nothing yet, and such empty reads were one system call in five per
// request. nginx waits on its event loop the same way.
//
// Waiting before reading is only safe when the send happens after the
// connection's readiness was reset (Go's poller forgets earlier readiness
// when a raw read starts, and the peer's bytes are signalled once): so the
// send happens inside the raw read, never before it.
type waitRead struct {
	conn net.Conn
	raw  syscall.RawConn // nil where there is none: no waiting first then
	send func() error    // sends what waits; its error ends the read
	// sendFirst is set when the next read must send first.
	sendFirst bool
	// sendErr is the error of that send (or of the connection before it):
	// what waited did not go out whole.
	sendErr error
	// The raw read's callback (bound once: a closure per read cost
	// allocations) and its state.
	onReady func(fd uintptr) bool
	sent    bool
	p       []byte
	n       int
	rerr    error
}

// init sets w up on conn, sending with send.
func (w *waitRead) init(conn net.Conn, send func() error) {
	*w = waitRead{conn: conn, send: send}
	if sc, ok := conn.(syscall.Conn); ok && canReadFD {
		if raw, err := sc.SyscallConn(); err == nil {
			w.raw = raw
			w.onReady = w.sendThenRead
		}
	}
}

// canWait reports whether reads can send first and wait.
func (w *waitRead) canWait() bool { return w.raw != nil }

// read sends, waits for the peer's bytes and reads them into p; sendFirst
// must be set, and is cleared.
func (w *waitRead) read(p []byte) (int, error) {
	w.sendFirst, w.sendErr = false, nil
	if len(p) == 0 {
		w.sendErr = w.send()
		return 0, w.sendErr
	}
	w.sent, w.p, w.n, w.rerr = false, p, 0, nil
	err := w.raw.Read(w.onReady)
	n, rerr := w.n, w.rerr
	w.p = nil
	if !w.sent && err != nil {
		w.sendErr = err // the connection failed before anything was sent
	}
	switch {
	case w.sendErr != nil:
		return 0, w.sendErr
	case err != nil:
		var oe *net.OpError
		if errors.As(err, &oe) {
			oe.Op = "read" // as conn.Read says it, not "raw-read"
		}
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(),
			Err: os.NewSyscallError("read", rerr)}
	case n <= 0:
		return 0, io.EOF
	}
	return n, nil
}

// sendThenRead is the raw read's callback: the first call sends and asks
// to wait; later ones read what arrived.
func (w *waitRead) sendThenRead(fd uintptr) bool {
	if !w.sent {
		w.sent = true
		if w.sendErr = w.send(); w.sendErr != nil {
			return true
		}
		return false // wait for the peer
	}
	var again bool
	w.n, again, w.rerr = readFD(fd, w.p)
	return !again
}
