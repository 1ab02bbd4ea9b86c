package gateway

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// At its connection cap a server stops accepting, rather than accepting
// and closing (or answering 503): new clients wait in the kernel's listen
// queue (up to net.core.somaxconn, 4096 on Linux, then their SYNs are
// retried) and are served as soon as a connection closes. The one client
// accepted and waiting for a slot makes room at once if a connection is
// idle between requests: the one idle longest is closed (reclaim), as
// nginx reuses its keep-alive connections, rather than hold the slot for
// its idle timeout, a client that will never send again (a program making
// a new HTTP client per call) as much as one that will. Accepting to refuse would
// take a file descriptor per attempt, at the moment they are short, and
// spin the accept loop as fast as a flood comes; a refused client tends to
// retry at once anyway, and a burst that would have fitted a moment later
// fails instead of waiting. The price: a held client learns nothing until
// it is served or gives up. Clients already connected are not touched
// either way, so keep-alive clients keep being served. HAProxy's maxconn
// and nginx's worker_connections pause the same way.

// Defaults of the connection cap: at most maxConnsDefault, and no more
// than half of the descriptors left after reservedFiles, since each
// connection with a request in flight to a web function holds a second one
// (the upstream connection), and the emulator needs its own for state
// files, instance pipes, Docker and the admin address.
const (
	maxConnsDefault = 4096
	minConnsDefault = 32
	reservedFiles   = 256
)

// defaultMaxConns is the connection cap of a Server that sets none.
func defaultMaxConns() int {
	n := maxConnsDefault
	if files, ok := openFileLimit(); ok {
		n = min(n, (files-reservedFiles)/2)
	}
	return max(n, minConnsDefault)
}

// acceptor is what a server accepts connections through: it holds a slot
// per open connection and waits for a free one before it accepts, and it
// rides out accept errors (out of file descriptors and the like) with a
// backoff, so the server neither exits nor spins.
type acceptor struct {
	what  string        // the server, for logs
	slots chan struct{} // a token per open connection; its capacity is the cap
	low   int           // open connections at which a burst at the cap is over
	stopc chan struct{} // closed when the server stops accepting
	once  sync.Once
	log   *slog.Logger

	// quiet is how long accepts must go without failing for a run of
	// failures to be over: at the file limit, every connection that closes
	// lets one accept through, and each would otherwise log twice.
	quiet time.Duration
	// reclaim, set before the first accept, closes the connection idle
	// longest between requests, if there is one; a connection that goes
	// idle while starved closes itself.
	reclaim func()
	waiting atomic.Int32 // accepted connections waiting for a slot

	atCap   atomic.Bool // a burst at the cap is on (it was logged)
	failing atomic.Bool // a run of accept failures is on (it was logged)
	mu      sync.Mutex  // guards the bursts' fields below
	capAt   time.Time   // when the burst at the cap began
	waits   int         // accepts that waited for a slot in the burst
	failAt  time.Time   // when the run of failures began
	lastErr time.Time   // its last failure
	fails   int         // accepts that failed in the run
}

func newAcceptor(what string, maxConns int, log *slog.Logger) *acceptor {
	return &acceptor{what: what, slots: make(chan struct{}, maxConns), low: maxConns * 3 / 4,
		stopc: make(chan struct{}), log: log, quiet: 10 * time.Second}
}

// stop makes accept return net.ErrClosed, now and from then on; it does
// not close the listener.
func (a *acceptor) stop() { a.once.Do(func() { close(a.stopc) }) }

// accept waits for a connection of l, then for a free slot for it: at the
// cap the others wait in the listen queue. The caller gives the slot back
// with release when the connection closes. It returns net.ErrClosed once
// stopped or once l is closed.
func (a *acceptor) accept(l net.Listener) (net.Conn, error) {
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err == nil {
			if a.failing.Load() {
				a.acceptedAfterFailures()
			}
			if !a.acquire() {
				nc.Close()
				return nil, net.ErrClosed
			}
			return nc, nil
		}
		if errors.Is(err, net.ErrClosed) || a.stopped() {
			return nil, net.ErrClosed
		}
		// Out of file descriptors (EMFILE, ENFILE; Linux fails an accept
		// at the limit even with nothing pending), buffers and the like:
		// what is pending stays in the listen queue; wait as net/http does
		// (5 ms, doubling to 1 s) and go on.
		a.acceptFailed(err)
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-a.stopc:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

// acceptFailed logs the first failure of a run, not the others.
func (a *acceptor) acceptFailed(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if !a.failing.Load() {
		a.failing.Store(true)
		a.failAt, a.fails = now, 0
		a.log.Warn(a.what+": accept failed; retrying with backoff", "error", err)
	}
	a.fails++
	a.lastErr = now
}

// acceptedAfterFailures ends a run of failures, with a log line, once
// accepts have gone without failing for the quiet time.
func (a *acceptor) acceptedAfterFailures() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failing.Load() && time.Since(a.lastErr) >= a.quiet {
		a.failing.Store(false)
		a.log.Info(a.what+": accepting again", "failures", a.fails,
			"for", a.lastErr.Sub(a.failAt).Round(time.Millisecond))
	}
}

// starved reports whether an accepted connection waits for a slot: a
// connection idle between requests then closes to make room.
func (a *acceptor) starved() bool { return a.waiting.Load() > 0 }

func (a *acceptor) stopped() bool {
	select {
	case <-a.stopc:
		return true
	default:
		return false
	}
}

// acquire takes a slot, waiting for one at the cap; false means stopped.
func (a *acceptor) acquire() bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	a.mu.Lock()
	if !a.atCap.Load() {
		a.atCap.Store(true)
		a.capAt, a.waits = time.Now(), 0
		a.log.Warn(a.what+": connection cap reached; new connections wait until one closes", "max", cap(a.slots))
	}
	a.waits++
	a.mu.Unlock()
	// Starved from here: a connection found idle now is closed, one that
	// goes idle later closes itself (each checks after marking itself idle,
	// so one of the two sees the other).
	a.waiting.Add(1)
	defer a.waiting.Add(-1)
	if a.reclaim != nil {
		a.reclaim()
	}
	select {
	case a.slots <- struct{}{}:
		return true
	case <-a.stopc:
		return false
	}
}

// release gives a connection's slot back. A burst at the cap ends, with a
// log line, when the open connections fall to three quarters of the cap:
// a server that hovers at the cap logs once, not per connection.
func (a *acceptor) release() {
	<-a.slots
	if !a.atCap.Load() || len(a.slots) > a.low {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.atCap.Load() && len(a.slots) <= a.low {
		a.atCap.Store(false)
		a.log.Info(a.what+": connections below the cap again", "max", cap(a.slots), "waited", a.waits,
			"for", time.Since(a.capAt).Round(time.Millisecond))
	}
}
