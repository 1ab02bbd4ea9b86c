package gateway

import (
	"bufio"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the idle connections kept to web-function instances. An
// instance serves one request at a time unless its function allows more
// (concurrency, up to 100): the pool keeps as many idle connections per
// address as an instance can have requests in flight, since with fewer an
// instance at concurrency 32 closed and redialled a connection for most
// requests (a dial was 17% of the gateway's CPU). An instance at
// concurrency 1 never has more than one. Past the timeout an idle
// connection is closed when the pool next looks at it.
const (
	maxIdlePerAddr  = 100
	upstreamIdleFor = 90 * time.Second
	dialTimeout     = 5 * time.Second
	// defaultCheckAfter is the idle time after which a kept connection is
	// checked before use: the instance behind it may have stopped, and a
	// new one may listen on the same port. Busy connections skip the check.
	defaultCheckAfter = time.Second
	// strictCheckAfter is the same for a request that cannot be sent twice
	// (a POST): an instance that closes idle connections after less than
	// a second (a short keep-alive timeout) would otherwise have it fail,
	// written on a connection whose end of stream is on its way. Under
	// load connections come back within milliseconds and skip the check.
	strictCheckAfter = 50 * time.Millisecond
	upstreamBufSize  = 4 << 10
)

// upstreams keeps idle keep-alive connections to web-function instances by
// address, so a warm instance is reached without a dial, and without the
// two goroutines per connection (and the hand-offs between them) that
// http.Transport runs: the request's own goroutine writes the request and
// reads the answer.
type upstreams struct {
	mu     sync.Mutex           // guards idle and puts
	idle   map[string][]*upConn // most recently used last
	puts   int                  // puts since the last sweep of stale connections
	dialer net.Dialer
	// checkAfter is defaultCheckAfter; tests set 0 to check every time.
	checkAfter time.Duration
}

// upConn is one connection to an instance with its buffers.
type upConn struct {
	addr   string
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	used   time.Time // when it went idle
	reused bool      // it served a request before this one
	verify bool      // the last answer had no body: check for stray bytes before reuse
	// answering is set once the answer to the client may start; the
	// request's end then also stops writes to the client (see exchangeOn).
	answering atomic.Bool
	// The answer being read: its head, parsed and raw (room reused), and
	// its body.
	ans  upAnswer
	head []byte
	body answerBody
}

func newUpstreams() *upstreams {
	return &upstreams{
		idle:       make(map[string][]*upConn),
		dialer:     net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		checkAfter: defaultCheckAfter,
	}
}

// get returns an idle connection to addr, or dials a new one; strict
// checks a connection idle for strictCheckAfter already (see there).
func (u *upstreams) get(ctx context.Context, addr string, strict bool) (*upConn, error) {
	now := time.Now()
	checkAfter := u.checkAfter
	if strict {
		checkAfter = min(checkAfter, strictCheckAfter)
	}
	u.mu.Lock()
	for list := u.idle[addr]; len(list) > 0; list = u.idle[addr] {
		c := list[len(list)-1]
		list[len(list)-1] = nil
		u.idle[addr] = list[:len(list)-1]
		if idle := now.Sub(c.used); idle < upstreamIdleFor {
			u.mu.Unlock()
			if (idle >= checkAfter || c.verify) && peerClosed(c.conn) {
				c.conn.Close()
				u.mu.Lock()
				continue
			}
			c.reused = true
			return c, nil
		}
		c.conn.Close()
	}
	u.mu.Unlock()
	return u.dial(ctx, addr)
}

func (u *upstreams) dial(ctx context.Context, addr string) (*upConn, error) {
	conn, err := u.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &upConn{addr: addr, conn: conn,
		br: bufio.NewReaderSize(conn, upstreamBufSize), bw: bufio.NewWriterSize(conn, upstreamBufSize)}, nil
}

// release drops what an idle connection must not hold on to: the last
// answer's head (its fields keep the whole head alive), and the room of a
// big one.
func (c *upConn) release() {
	if cap(c.head) > maxKeptHead {
		c.head = nil
	}
	fields, trailers := c.ans.fields, c.ans.trailers
	if cap(fields) > maxKeptFields {
		fields = nil
	}
	if cap(trailers) > maxKeptFields {
		trailers = nil
	}
	clear(fields)
	clear(trailers)
	c.ans = upAnswer{fields: fields[:0], trailers: trailers[:0]}
	c.body = answerBody{}
}

// put keeps c for the next request to its address, or closes it when the
// pool is full.
func (u *upstreams) put(c *upConn) {
	c.used = time.Now()
	u.mu.Lock()
	list := u.idle[c.addr]
	if len(list) >= maxIdlePerAddr {
		u.mu.Unlock()
		c.conn.Close()
		return
	}
	u.idle[c.addr] = append(list, c)
	u.puts++
	var stale []*upConn
	if u.puts >= 1024 {
		u.puts = 0
		stale = u.sweepLocked(c.used)
	}
	u.mu.Unlock()
	for _, s := range stale {
		s.conn.Close()
	}
}

// sweepLocked removes connections idle too long, and the entries of
// addresses left with none (instances that stopped), returning them to be
// closed outside the lock.
func (u *upstreams) sweepLocked(now time.Time) []*upConn {
	var stale []*upConn
	for addr, list := range u.idle {
		kept := list[:0]
		for _, c := range list {
			if now.Sub(c.used) < upstreamIdleFor {
				kept = append(kept, c)
			} else {
				stale = append(stale, c)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(u.idle, addr)
		} else {
			u.idle[addr] = kept
		}
	}
	return stale
}

// closeIdle closes every idle connection; connections in use are kept
// afterwards as before.
func (u *upstreams) closeIdle() {
	u.mu.Lock()
	all := u.idle
	u.idle = make(map[string][]*upConn)
	u.mu.Unlock()
	for _, list := range all {
		for _, c := range list {
			c.conn.Close()
		}
	}
}
