package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// upReader is what an upConn's bufio.Reader reads from. The request's last
// bytes wait in the connection's writer until the first read of the
// answer, which sends them and then waits for the answer without reading
// first: a read right after sending finds nothing (the function has not
// answered yet), and that empty read was one system call in five per
// request on the web path. nginx waits on its event loop the same way.
//
// Waiting before reading is only safe when the request's end goes out
// after the connection's readiness was reset (Go's poller forgets earlier
// readiness when a raw read starts, and the answer's arrival is signalled
// once): so the send happens inside the raw read, never before it.
type upReader struct {
	conn net.Conn
	raw  syscall.RawConn // nil when conn has none (then: send, then read as usual)
	bw   *bufio.Writer
	// sendFirst is set when the request's last bytes wait in bw.
	sendFirst bool
	// sendErr is the error of that send: the request did not go out whole.
	sendErr error
	// The raw read's callback (bound once: a closure per read cost
	// allocations) and its state.
	onReady func(fd uintptr) bool
	sent    bool
	p       []byte
	n       int
	rerr    error
}

// init sets r up on conn, whose request bytes wait in bw.
func (r *upReader) init(conn net.Conn, bw *bufio.Writer) {
	*r = upReader{conn: conn, bw: bw}
	if sc, ok := conn.(syscall.Conn); ok && canReadFD {
		if raw, err := sc.SyscallConn(); err == nil {
			r.raw = raw
			r.onReady = r.sendThenRead
		}
	}
}

// send arranges for what bw holds of the request to go out: on the next
// read when that read can wait first, else now. It returns the error of a
// send made now.
func (r *upReader) send() error {
	r.sendErr = nil
	if r.bw.Buffered() > 0 && r.raw != nil {
		r.sendFirst = true
		return nil
	}
	return r.bw.Flush() // nothing buffered: the writer's earlier error, if any
}

func (r *upReader) Read(p []byte) (int, error) {
	if !r.sendFirst {
		return r.conn.Read(p)
	}
	r.sendFirst = false
	if len(p) == 0 {
		if r.sendErr = r.bw.Flush(); r.sendErr != nil {
			return 0, r.sendErr
		}
		return 0, nil
	}
	r.sent, r.p, r.n, r.rerr = false, p, 0, nil
	err := r.raw.Read(r.onReady)
	n, rerr := r.n, r.rerr
	r.p = nil
	if !r.sent && err != nil {
		r.sendErr = err // the connection failed before anything was sent
	}
	switch {
	case r.sendErr != nil:
		return 0, r.sendErr
	case err != nil:
		var oe *net.OpError
		if errors.As(err, &oe) {
			oe.Op = "read" // as conn.Read says it, not "raw-read"
		}
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: r.conn.LocalAddr(), Addr: r.conn.RemoteAddr(),
			Err: os.NewSyscallError("read", rerr)}
	case n <= 0:
		return 0, io.EOF
	}
	return n, nil
}

// sendThenRead is the raw read's callback: the first call sends the
// request's end and asks to wait; later ones read what arrived.
func (r *upReader) sendThenRead(fd uintptr) bool {
	if !r.sent {
		r.sent = true
		if r.sendErr = r.bw.Flush(); r.sendErr != nil {
			return true
		}
		return false // wait for the answer
	}
	var again bool
	r.n, again, r.rerr = readFD(fd, r.p)
	return !again
}
