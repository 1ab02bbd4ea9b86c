package gateway

import (
	"bufio"
	"net"
)

// upReader is what an upConn's bufio.Reader reads from. The request's last
// bytes wait in the connection's writer until the first read of the
// answer, which sends them and waits for the answer (waitRead).
type upReader struct {
	waitRead
	bw *bufio.Writer
}

// init sets r up on conn, whose request bytes wait in bw.
func (r *upReader) init(conn net.Conn, bw *bufio.Writer) {
	r.bw = bw
	r.waitRead.init(conn, bw.Flush)
}

// send arranges for what bw holds of the request to go out: on the next
// read when that read can wait first, else now. It returns the error of a
// send made now.
func (r *upReader) send() error {
	r.sendErr = nil
	if r.bw.Buffered() > 0 && r.canWait() {
		r.sendFirst = true
		return nil
	}
	return r.bw.Flush() // nothing buffered: the writer's earlier error, if any
}

func (r *upReader) Read(p []byte) (int, error) {
	if r.sendFirst {
		return r.read(p)
	}
	return r.conn.Read(p)
}
