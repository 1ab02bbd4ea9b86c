package gateway

import (
	"context"
	"errors"
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
	Logger         *slog.Logger // nil discards

	once     sync.Once
	log      *slog.Logger
	fallback *http.Server
	handoff  *connQueue
	date     dateCache

	mu       sync.Mutex // guards conns, handed and listener
	conns    map[*srvConn]struct{}
	handed   map[*replayConn]struct{} // handed to the fallback, open still
	listener net.Listener
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
		s.conns = make(map[*srvConn]struct{})
		s.handed = make(map[*replayConn]struct{})
		s.baseCtx, s.cancelFn = context.WithCancel(context.Background())
		s.handoff = newConnQueue()
		s.fallback = &http.Server{Handler: s.Handler, ReadHeaderTimeout: s.ReadHeaderTimeout,
			IdleTimeout: s.IdleTimeout, MaxHeaderBytes: s.MaxHeaderBytes,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
		s.wg.Go(func() { _ = s.fallback.Serve(s.handoff) })
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
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if !errors.Is(err, net.ErrClosed) {
				// Out of file descriptors and the like: wait, then go on.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("gateway accept failed; retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := newSrvConn(s, nc)
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			c.ctxCancel()
			nc.Close()
			return http.ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
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
			s.closeHandedOff()
			return err
		case <-ctx.Done():
			s.closeAll()
			<-fbErr
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
	return err
}

func (s *Server) stopAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return
	}
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
		c.nc.Close()
	}
	s.mu.Unlock()
	s.closeHandedOff()
}

func (s *Server) closeHandedOff() {
	s.mu.Lock()
	handed := make([]*replayConn, 0, len(s.handed))
	for c := range s.handed {
		handed = append(handed, c)
	}
	s.mu.Unlock()
	for _, c := range handed {
		c.Close()
	}
}

// handOff passes nc, whose first bytes were pending already, to the
// fallback, which closes it; Close and Shutdown close it too.
func (s *Server) handOff(nc net.Conn, pending []byte) {
	c := &replayConn{Conn: nc, pending: pending, s: s}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.handed[c] = struct{}{}
	s.mu.Unlock()
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
// it already comes first.
type replayConn struct {
	net.Conn
	pending []byte
	s       *Server
}

// Close closes the connection and forgets it.
func (c *replayConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.handed, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
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
