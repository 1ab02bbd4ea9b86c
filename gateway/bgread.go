package gateway

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/lazyctx"
)

// bgReadDelay is how long a request runs, its body read whole, before the
// connection starts watching for the client to leave: requests that end
// sooner (nearly all of them) pay a timer reset and stop, and no goroutine.
// The client's leaving is noticed this much later at most. It is well past
// the time requests wait under load (2-3 ms for 32 clients on one
// instance): at 2 ms most requests under load paid for the watch, a
// goroutine, a read and two deadlines each, 6% of the gateway's throughput.
const bgReadDelay = 50 * time.Millisecond

// connReader is what a srvConn's bufio.Reader reads from: the connection,
// after a byte the background read took from it, if any.
type connReader struct {
	nc      net.Conn
	pending bool // b holds a byte of the next request
	b       [1]byte
}

func (r *connReader) Read(p []byte) (int, error) {
	if r.pending {
		if len(p) == 0 {
			return 0, nil
		}
		p[0], r.pending = r.b[0], false
		return 1, nil
	}
	return r.nc.Read(p)
}

// bgRead watches the connection while a handler runs, as net/http's
// server does: a client that closes the connection cancels its request's
// context, so the function behind it is stopped and the request recorded
// as abandoned (499). A byte that arrives instead (the next request,
// pipelined) is kept for the connection's reader.
type bgRead struct {
	c *srvConn

	mu       sync.Mutex // guards the fields below
	timer    *time.Timer
	armed    bool         // the current request may be watched: its body is read
	running  bool         // the read goroutine is out
	stopping bool         // stop set the past deadline that ends the read
	ctx      *lazyctx.Ctx // the current request's context
	gone     bool         // the client left during the current request
	ended    sync.Cond    // signalled when the read goroutine ends
}

// arm schedules the watch of the current request, whose body has been read
// whole, cancelling ctx when the client leaves.
func (b *bgRead) arm(ctx *lazyctx.Ctx) {
	if b.c.br.Buffered() > 0 {
		// The next request is here already; a read now would take a byte
		// from behind it.
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed, b.ctx, b.gone = true, ctx, false
	if b.timer == nil {
		b.ended.L = &b.mu
		b.timer = time.AfterFunc(bgReadDelay, b.fire)
		return
	}
	b.timer.Reset(bgReadDelay)
}

// fire starts the read goroutine if the request it was armed for still runs.
// A late fire from an earlier request only starts the watch of the current
// one early, which is harmless: armed says its body is read.
func (b *bgRead) fire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.armed || b.running {
		return
	}
	b.running = true
	go b.read()
}

func (b *bgRead) read() {
	cr := &b.c.cr
	n, err := cr.nc.Read(cr.b[:])
	b.mu.Lock()
	defer b.mu.Unlock()
	if n == 1 {
		cr.pending = true
	}
	// A timeout is stop's past deadline or one a handler set itself; any
	// other error is the client gone (EOF, reset) or the server closing.
	var ne net.Error
	timeout := errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	if n == 0 && err != nil && !timeout && !b.stopping {
		b.gone = true
		if b.ctx != nil {
			b.ctx.Cancel()
			b.c.ew.abort() // after the cancel: the exchange reads it in ctx.Err
		}
	}
	b.running = false
	b.ended.Broadcast()
}

// stop ends the watch of the current request and waits for the read
// goroutine, so the connection's reader owns the connection again. It
// reports whether the client left during the request.
func (b *bgRead) stop() (gone bool) {
	b.mu.Lock()
	if !b.armed {
		b.mu.Unlock()
		return false
	}
	b.armed, b.ctx = false, nil
	b.timer.Stop()
	if b.running {
		b.stopping = true
		_ = b.c.nc.SetReadDeadline(aLongTimeAgo)
		for b.running {
			b.ended.Wait()
		}
		b.stopping = false
		_ = b.c.nc.SetReadDeadline(time.Time{})
	}
	gone = b.gone
	b.mu.Unlock()
	return gone
}
