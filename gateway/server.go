package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the gateway's HTTP/1.1 server: an accept loop and one goroutine
// per connection that parses request heads itself and calls the handler
// with pooled buffers, without the per-request machinery of net/http's
// server (which was a third of the gateway's CPU in front of a web
// function). A connection whose request it does not serve itself (an
// upgrade such as websockets, request trailers, HTTP/2 prior knowledge, an
// absolute-form target) is handed, bytes read so far included, to a
// net/http.Server with the same handler, which keeps it to its end.
type Server struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds the arrival of a request head once its first
	// byte came; 0 means 10 s. IdleTimeout bounds the wait for the next
	// request on a kept-alive connection; 0 means 120 s.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// MaxHeaderBytes bounds a request head; past it the client gets 431.
	// 0 means 1 MB, as net/http's default.
	MaxHeaderBytes int
	// WriteStallTimeout bounds how long a write of answer bytes to the
	// client may make no progress (a client that stopped reading, or sends
	// requests and never reads the answers); past it the connection closes
	// and its request's context is cancelled. Answers that stream go on as
	// long as their bytes move. 0 means 60 s.
	WriteStallTimeout time.Duration
	// MaxConns caps the open client connections; at the cap the server
	// stops accepting until one closes, and a client waiting closes the
	// connection idle longest between requests (see accept.go). 0 means 4096, or
	// fewer when the process may not open twice as many files.
	MaxConns int
	Logger   *slog.Logger // nil discards

	once     sync.Once
	log      *slog.Logger
	fallback *http.Server
	handoff  *connQueue
	date     dateCache
	acc      *acceptor
	sweep    sweeper

	mu       sync.Mutex // guards conns and listener
	conns    map[*srvConn]struct{}
	listener net.Listener
	handed   connSet        // handed to the fallback, open still
	wg       sync.WaitGroup // connection goroutines and the fallback's Serve

	closing  atomic.Bool
	baseCtx  context.Context // every request's context derives from it
	cancelFn context.CancelFunc
}

const (
	defaultHeaderTimeout = 10 * time.Second
	defaultIdleTimeout   = 120 * time.Second
	defaultMaxHeader     = 1 << 20
)

func (s *Server) init() {
	s.once.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		if s.ReadHeaderTimeout <= 0 {
			s.ReadHeaderTimeout = defaultHeaderTimeout
		}
		if s.IdleTimeout <= 0 {
			s.IdleTimeout = defaultIdleTimeout
		}
		if s.MaxHeaderBytes <= 0 {
			s.MaxHeaderBytes = defaultMaxHeader
		}
		if s.WriteStallTimeout <= 0 {
			s.WriteStallTimeout = defaultWriteStall
		}
		if s.MaxConns <= 0 {
			s.MaxConns = defaultMaxConns()
		}
		s.acc = newAcceptor("gateway server", s.MaxConns, s.log)
		s.acc.reclaim = s.reclaim
		s.conns = make(map[*srvConn]struct{})
		s.handed.init(s.acc, &s.sweep.now)
		s.baseCtx, s.cancelFn = context.WithCancel(context.Background())
		s.handoff = newConnQueue()
		s.fallback = &http.Server{Handler: s.Handler, ReadHeaderTimeout: s.ReadHeaderTimeout,
			IdleTimeout: s.IdleTimeout, MaxHeaderBytes: s.MaxHeaderBytes,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug), ConnState: s.handed.connState}
		s.wg.Go(func() { _ = s.fallback.Serve(s.handoff) })
		s.sweep.start(s.WriteStallTimeout, s.cutStalled)
	})
}

// Serve accepts connections on l until Shutdown or Close, and returns
// http.ErrServerClosed then, as net/http's server does.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.listener = l
	s.mu.Unlock()
	for {
		nc, err := s.acc.accept(l)
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			return err
		}
		c := newSrvConn(s, nc)
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			c.ctxCancel()
			nc.Close()
			s.acc.release()
			return http.ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// cutStalled closes the connections whose answer has not moved for the
// write stall bound. It runs in the sweeper's goroutine.
func (s *Server) cutStalled(now, limit int64) {
	conns := stalledConns(&s.mu, s.conns, now, limit)
	for _, c := range conns {
		c.ctxCancel() // what the answer came from need not go on for nobody
		c.ew.abort()
		c.nc.Close()
	}
	if n := len(conns) + s.handed.cutStalled(now, limit); n > 0 {
		s.log.Info("gateway server: closed connections whose client stopped reading",
			"connections", n, "stall", s.WriteStallTimeout)
	}
}

// reclaim closes the connection idle longest between requests, to make
// room at the cap for a client waiting (accept.go); one handed to net/http
// only when none of the server's own is idle.
func (s *Server) reclaim() {
	s.mu.Lock()
	var oldest *srvConn
	var since int64
	for c := range s.conns {
		if at := c.idleAt.Load(); at > 0 && c.state.Load() == connIdle && (oldest == nil || at < since) {
			oldest, since = c, at
		}
	}
	// The state decides: a connection whose request arrived meanwhile is
	// not cut.
	closed := oldest != nil && oldest.state.CompareAndSwap(connIdle, connClosed)
	if closed {
		oldest.nc.Close()
	}
	s.mu.Unlock()
	if !closed {
		s.handed.reclaim()
	}
}

// forget drops c from the live connections.
func (s *Server) forget(c *srvConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown stops accepting, closes idle connections, lets requests in
// flight finish and then closes their connections, and waits for that until
// ctx ends; then it closes what is left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.stopAccepting()
	fbErr := make(chan error, 1)
	go func() { fbErr <- s.fallback.Shutdown(ctx) }()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		select {
		case <-done:
			err := <-fbErr
			// What net/http left open it no longer serves: hijacked
			// connections (websockets), which would outlive the server.
			s.handed.closeAll()
			s.sweep.stop()
			return err
		case <-ctx.Done():
			s.closeAll()
			<-fbErr
			s.sweep.stop()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.init()
	s.stopAccepting()
	err := s.fallback.Close()
	s.closeAll()
	s.sweep.stop()
	return err
}

func (s *Server) stopAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return
	}
	s.acc.stop()
	if s.listener != nil {
		s.listener.Close()
	}
	s.handoff.Close()
}

func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			c.nc.Close()
		}
	}
}

func (s *Server) closeAll() {
	s.cancelFn()
	s.mu.Lock()
	for c := range s.conns {
		c.state.Store(connClosed)
		c.ew.abort() // its request's context ended with cancelFn
		c.nc.Close()
	}
	s.mu.Unlock()
	s.handed.closeAll()
}

// handOff passes nc, whose first bytes were pending already, to the
// fallback, which closes it; Close and Shutdown close it too.
func (s *Server) handOff(nc net.Conn, pending []byte) {
	if s.closing.Load() {
		nc.Close()
		s.acc.release()
		return
	}
	// Should Shutdown begin now, the closed queue closes c, or its
	// closeAll of handed does: both come after this.
	c := &replayConn{pending: pending}
	s.handed.add(&c.watchedConn, nc)
	s.handoff.put(c)
}

// connQueue is the listener the fallback net/http.Server accepts handed-off
// connections from.
type connQueue struct {
	ch     chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{})}
}

// put hands c over, or closes it when the queue is closed.
func (q *connQueue) put(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.closed.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return queueAddr{} }

type queueAddr struct{}

func (queueAddr) Network() string { return "handoff" }
func (queueAddr) String() string  { return "handoff" }

// replayConn is a handed-off connection: what the gateway's server read of
// it already comes first. Its writes, hijacked ones too, are watched.
type replayConn struct {
	watchedConn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// dateCache formats the Date header once a second.
type dateCache struct {
	v atomic.Pointer[dateValue]
}

type dateValue struct {
	sec int64
	b   []byte // "Date: ...\r\n"
}

func (d *dateCache) line(now time.Time) []byte {
	sec := now.Unix()
	if v := d.v.Load(); v != nil && v.sec == sec {
		return v.b
	}
	b := make([]byte, 0, 40)
	b = append(b, "Date: "...)
	b = now.UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "\r\n"...)
	d.v.Store(&dateValue{sec: sec, b: b})
	return b
}
