package gateway

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scf-emulator/emulator/lazyctx"
)

// States of a srvConn, for Shutdown: an idle connection waits for a
// request and may be closed at once; an active one finishes its request.
const (
	connIdle int32 = iota
	connActive
	connClosed
)

const (
	srvBufSize = 4 << 10
	// maxDiscard is the most of an unread request body the server reads
	// away to keep the connection; past it the connection closes.
	maxDiscard = 256 << 10
)

var (
	srvReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, srvBufSize) }}
	srvWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, srvBufSize) }}
)

// srvConn is one client connection of a Server.
type srvConn struct {
	s      *Server
	nc     net.Conn
	state  atomic.Int32
	cr     connReader  // under br: the connection, after a byte the background read took
	cw     stallWriter // under bw: the connection, its writes watched
	bg     bgRead
	br     *bufio.Reader
	bw     *bufio.Writer
	remote string
	// ctx is the requests' parent: the server's, with the local address,
	// cancelled when the connection ends. A request's context (a lazyctx)
	// registers with it only once something waits on its Done, and then
	// with it rather than with the server's: one uncontended parent per
	// connection, whose room for children is kept from request to request.
	ctx       context.Context
	ctxCancel context.CancelFunc
	head      []byte // the raw head being read; reused
	hd        reqHead
	w         respWriter
	ew        exchangeWatch // of the current request's exchange with an instance
	body      *reqBody      // the current request's, nil when it has none
	// handedOff is set when the connection went to the net/http fallback,
	// which closes it.
	handedOff bool
	// idleAt is when it last went idle after a request, in ns (0: it has
	// served none): the server's reclaim at the cap closes the one idle
	// longest. It counts only while state is connIdle.
	idleAt atomic.Int64
}

func newSrvConn(s *Server, nc net.Conn) *srvConn {
	c := &srvConn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
	c.cr.nc = nc
	c.cw.init(nc, &s.sweep.now)
	c.bg.c = c
	c.ew.c = c
	c.ctx, c.ctxCancel = context.WithCancel(context.WithValue(context.WithValue(s.baseCtx,
		http.ServerContextKey, s.fallback), http.LocalAddrContextKey, nc.LocalAddr()))
	c.state.Store(connIdle)
	return c
}

func (c *srvConn) writes() *stallWriter { return &c.cw }

// serve reads and answers requests until the connection ends.
func (c *srvConn) serve() {
	defer c.s.forget(c)
	defer c.ctxCancel()
	c.br = srvReaders.Get().(*bufio.Reader)
	c.br.Reset(&c.cr)
	c.bw = srvWriters.Get().(*bufio.Writer)
	c.bw.Reset(&c.cw)
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			c.s.log.Error("gateway server: handler panicked", "panic", p, "remote", c.remote)
		}
		if !c.handedOff {
			c.nc.Close()
			c.s.acc.release()
		}
		c.br.Reset(nil)
		srvReaders.Put(c.br)
		c.bw.Reset(nil)
		srvWriters.Put(c.bw)
	}()
	// A new connection gets the header timeout, not the idle one, for its
	// first request, as net/http does: connections opened and left silent
	// hold slots of the connection cap.
	wait, served := c.s.ReadHeaderTimeout, false
	for {
		if c.br.Buffered() == 0 {
			if !c.state.CompareAndSwap(connActive, connIdle) && c.state.Load() != connIdle || c.s.closing.Load() {
				return
			}
			now := time.Now()
			_ = c.nc.SetReadDeadline(now.Add(wait))
			wait = c.s.IdleTimeout
			if served {
				c.idleAt.Store(now.UnixNano())
				if c.s.acc.starved() {
					return // room for the client waiting at the cap
				}
			}
			if _, err := c.br.Peek(1); err != nil {
				return
			}
		}
		if !c.state.CompareAndSwap(connIdle, connActive) && c.state.Load() != connActive {
			return // closed by Shutdown as the request arrived
		}
		raw, err := c.readHead()
		if err == nil {
			_ = c.nc.SetReadDeadline(time.Time{})
			err = parseHead(string(raw), &c.hd) // a copy the request's strings point into
		}
		if err != nil {
			c.reject(err)
			return
		}
		if c.hd.handoff {
			c.handOff()
			return
		}
		keep := c.serveRequest()
		served = true
		c.release()
		if !keep || c.s.closing.Load() {
			return
		}
	}
}

// Past these, the room a request needed is not kept for the next one.
const (
	maxKeptHead   = 16 << 10
	maxKeptFields = 128
)

// release drops what a kept-alive connection, idle now, must not hold on
// to: the last request and answer (whose strings keep their whole heads
// alive) and the room of a big head, so many idle clients that each sent
// one big head once cost no more than net/http's server.
func (c *srvConn) release() {
	if cap(c.head) > maxKeptHead {
		c.head = nil
	}
	fields := c.hd.fields
	if cap(fields) > maxKeptFields {
		fields = nil
	}
	clear(fields) // past len it was cleared by the last release
	c.hd = reqHead{fields: fields[:0]}
	c.body = nil
	c.w.release()
}

// readHead reads a request head into c.head, under the header timeout when
// it is not buffered whole already. Lines must end in CRLF; empty lines
// before the request line are skipped.
func (c *srvConn) readHead() ([]byte, error) {
	c.head = c.head[:0]
	// buffered says the head's end is in the buffer: no read to bound.
	// Looked up once per head (and after a leading empty line, which may
	// have been that end), not per line: that was quadratic.
	deadline, buffered := false, false
	for {
		if !deadline && !buffered {
			if c.br.Buffered() >= 4 && hasHeadEnd(c.br) {
				buffered = true
			} else {
				_ = c.nc.SetReadDeadline(time.Now().Add(c.s.ReadHeaderTimeout))
				deadline = true
			}
		}
		line, err := c.br.ReadSlice('\n')
		if len(c.head)+len(line) > c.s.MaxHeaderBytes {
			return nil, errHeadTooBig
		}
		if err == bufio.ErrBufferFull {
			c.head = append(c.head, line...)
			continue
		}
		if err != nil {
			return nil, err
		}
		c.head = append(c.head, line...)
		n := len(c.head)
		if n < 2 || c.head[n-2] != '\r' {
			return nil, errMalformed // a bare LF
		}
		if n == 2 { // an empty line before the request line
			c.head, buffered = c.head[:0], false
			continue
		}
		if n >= 4 && string(c.head[n-4:]) == "\r\n\r\n" {
			return c.head, nil
		}
	}
}

// hasHeadEnd reports whether the buffered bytes hold a whole head.
func hasHeadEnd(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	for i := 3; i < len(b); i++ {
		if b[i] == '\n' && b[i-1] == '\r' && b[i-2] == '\n' && b[i-3] == '\r' {
			return true
		}
	}
	return false
}

// reject answers a head the server cannot take, then the connection ends.
func (c *srvConn) reject(err error) {
	var status int
	switch {
	case errors.Is(err, errMalformed):
		status = http.StatusBadRequest
	case errors.Is(err, errHeadTooBig):
		status = http.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, errUnsupportTE):
		status = http.StatusNotImplemented
	case errors.Is(err, errExpectation):
		status = http.StatusExpectationFailed
	default:
		return // the client left or timed out
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.bw.WriteString("HTTP/1.1 ")
	c.bw.WriteString(statusLine(status))
	c.bw.WriteString("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")
	c.bw.WriteString(err.Error())
	_ = c.bw.Flush()
}

// handOff passes the connection, with the bytes read so far, to the
// net/http fallback.
func (c *srvConn) handOff() {
	pending := make([]byte, 0, len(c.head)+c.br.Buffered())
	pending = append(pending, c.head...)
	rest, _ := c.br.Peek(c.br.Buffered())
	pending = append(pending, rest...)
	_ = c.nc.SetReadDeadline(time.Time{})
	c.handedOff = true
	c.s.handOff(c.nc, pending)
}

// serveRequest builds the request of c.hd, runs the handler and finishes
// the answer. It reports whether the connection carries another request.
func (c *srvConn) serveRequest() (keep bool) {
	hd := &c.hd
	var req http.Request
	if err := c.newRequest(&req); err != nil {
		c.reject(errMalformed)
		return false
	}
	// A lazy context: the request path asks it only Err, so it costs one
	// allocation, and no registration with the connection's (lazyctx).
	ctx := lazyctx.WithCancel(c.ctx)
	defer ctx.Cancel()
	r := req.WithContext(ctx) // the one copy on the heap: req stays on the stack
	var body *reqBody
	switch {
	case hd.chunked || hd.contentLength > 0:
		body = &reqBody{c: c, remaining: hd.contentLength, expect: hd.expectContinue, ctx: ctx}
		c.body = body
		if hd.chunked {
			body.chunked = newChunkedReader(c.br)
		}
		r.Body = body
	default:
		r.Body = http.NoBody
		c.bg.arm(ctx)
	}
	defer c.bg.stop() // when the handler panics
	w := &c.w
	w.reset(c, r)
	c.s.Handler.ServeHTTP(w, r)
	gone := c.bg.stop()
	if body != nil && !body.done && !w.headSent {
		// Read away what the handler left of the body before the head goes
		// out, as net/http does, so the head can say Connection: close when
		// the rest is too much to skip.
		if !body.drain() {
			w.closeAfter = true
		}
	}
	if err := w.finish(); err != nil {
		return false
	}
	keep = !w.closeAfter && !gone
	if keep && body != nil && !body.drain() {
		keep = false
	}
	// An answer goes out when it is done, pipelined or not: the next
	// handler may be slow, or panic and take the buffer with it.
	if err := c.bw.Flush(); err != nil {
		return false
	}
	return keep
}

// newRequest fills r with the request of c.hd as net/http would.
func (c *srvConn) newRequest(r *http.Request) error {
	hd := &c.hd
	// The URL and the values' backing array are one allocation for a head
	// of a usual size.
	parts := new(reqParts)
	u, err := requestURLInto(hd.target, &parts.u)
	if err != nil {
		return err
	}
	h := make(http.Header, len(hd.fields))
	vals := parts.vals[:]
	if len(hd.fields) > len(vals) {
		vals = make([]string, len(hd.fields))
	}
	for i, f := range hd.fields {
		switch f.name {
		case "Host":
			continue
		case "Transfer-Encoding":
			continue // in r.TransferEncoding
		}
		if old, ok := h[f.name]; ok {
			h[f.name] = append(old, f.value)
			continue
		}
		vals[i] = f.value
		h[f.name] = vals[i : i+1 : i+1]
	}
	*r = http.Request{
		Method: hd.method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: hd.minor,
		Header: h, ContentLength: max(hd.contentLength, 0), Close: hd.close, Host: hd.host,
		RemoteAddr: c.remote, RequestURI: hd.target,
	}
	if hd.minor == 0 {
		r.Proto = "HTTP/1.0"
	}
	if hd.chunked {
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
	}
	return nil
}
