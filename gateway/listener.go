package gateway

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Listener gives a net/http.Server (the emulator's admin address) the
// defences Server has: a cap on open connections (Accept waits at the cap,
// and closes the connection idle longest when the server's ConnState is
// the Listener's),
// a backoff on accept errors (out of file descriptors) that net/http never
// sees, and connections cut when a write to the client makes no progress
// for the stall bound. Unlike net/http's WriteTimeout, the last does not
// cut answers that stream (log follow) while their bytes move.
type Listener struct {
	net.Listener
	acc   *acceptor
	sweep sweeper
	conns connSet
}

// NewListener guards l. maxConns and writeStall 0 take Server's defaults.
// Close stops its goroutine.
func NewListener(l net.Listener, maxConns int, writeStall time.Duration, log *slog.Logger) *Listener {
	if maxConns <= 0 {
		maxConns = defaultMaxConns()
	}
	if writeStall <= 0 {
		writeStall = defaultWriteStall
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gl := &Listener{Listener: l, acc: newAcceptor("listener "+l.Addr().String(), maxConns, log)}
	gl.conns.init(gl.acc, &gl.sweep.now)
	gl.acc.reclaim = gl.conns.reclaim
	gl.sweep.start(writeStall, func(now, limit int64) {
		if n := gl.conns.cutStalled(now, limit); n > 0 {
			log.Info(gl.acc.what+": closed connections whose client stopped reading", "connections", n, "stall", writeStall)
		}
	})
	return gl
}

// Accept waits for a free slot, then for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	nc, err := l.acc.accept(l.Listener)
	if err != nil {
		return nil, err
	}
	c := &watchedConn{}
	l.conns.add(c, nc)
	return c, nil
}

// ConnState is for the server's http.Server.ConnState: it tells the
// connections idle between requests, the one idle longest of which closes
// at the cap to make room for a new client (accept.go). A listener that
// wraps the connections of l must give them a NetConn method returning
// the connection it wrapped, as tls.Conn does.
func (l *Listener) ConnState(nc net.Conn, st http.ConnState) { l.conns.connState(nc, st) }

// Close stops accepting and watching; the connections open stay with
// their server.
func (l *Listener) Close() error {
	l.acc.stop()
	err := l.Listener.Close()
	l.sweep.stop()
	return err
}

// connSet is the open connections a server passed to net/http (the
// gateway's fallback, a Listener's server): each holds a slot of the cap
// until closed, and has its writes watched.
type connSet struct {
	acc   *acceptor
	clock *atomic.Int64
	mu    sync.Mutex // guards conns
	conns map[*watchedConn]struct{}
}

func (s *connSet) init(acc *acceptor, clock *atomic.Int64) {
	s.acc, s.clock, s.conns = acc, clock, make(map[*watchedConn]struct{})
}

// add makes c the set's watched wrapper of nc, whose slot it holds.
func (s *connSet) add(c *watchedConn, nc net.Conn) {
	c.Conn, c.set = nc, s
	c.cw.init(nc, s.clock)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

// closeAll closes every connection of the set.
func (s *connSet) closeAll() {
	s.mu.Lock()
	all := make([]*watchedConn, 0, len(s.conns))
	for c := range s.conns {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

// connState follows net/http's state of a connection of the set
// (http.Server.ConnState). One that goes idle while the acceptor is
// starved closes.
func (s *connSet) connState(nc net.Conn, st http.ConnState) {
	c := watchedOf(nc)
	if c == nil || c.set != s {
		return
	}
	if st != http.StateIdle {
		c.idleAt.Store(0)
		return
	}
	c.idleAt.Store(time.Now().UnixNano())
	if s.acc.starved() {
		c.Close()
	}
}

// reclaim closes the connection of the set idle longest between requests,
// if there is one.
func (s *connSet) reclaim() {
	s.mu.Lock()
	var oldest *watchedConn
	var since int64
	for c := range s.conns {
		if at := c.idleAt.Load(); at > 0 && (oldest == nil || at < since) {
			oldest, since = c, at
		}
	}
	s.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

// watchedOf finds the connection of a connSet in nc, or nil.
func watchedOf(nc net.Conn) *watchedConn {
	for {
		switch c := nc.(type) {
		case *watchedConn:
			return c
		case *replayConn:
			return &c.watchedConn
		case interface{ NetConn() net.Conn }:
			nc = c.NetConn()
		default:
			return nil
		}
	}
}

// cutStalled closes the connections whose answer has not moved for the
// sweeper's limit, and returns how many. It runs in the sweeper's goroutine.
func (s *connSet) cutStalled(now, limit int64) int {
	cut := stalledConns(&s.mu, s.conns, now, limit)
	for _, c := range cut {
		c.Close()
	}
	return len(cut)
}

// watchedConn is a connection of a connSet.
type watchedConn struct {
	net.Conn
	set    *connSet
	cw     stallWriter
	idleAt atomic.Int64 // when it went idle between requests, in ns; 0: not idle
}

func (c *watchedConn) Write(p []byte) (int, error) { return c.cw.Write(p) }

func (c *watchedConn) writes() *stallWriter { return &c.cw }

// Close closes the connection and gives its slot back, once.
func (c *watchedConn) Close() error {
	s := c.set
	s.mu.Lock()
	_, open := s.conns[c]
	delete(s.conns, c)
	s.mu.Unlock()
	if open {
		s.acc.release()
	}
	return c.Conn.Close()
}
