package gateway

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A client that sends requests and never reads the answers would hold its
// connection, its goroutine and the answer's buffers for ever: a write that
// cannot finish blocks with no deadline. A deadline per write would cost a
// timer and a syscall per answer on the hot path, and a deadline for the
// whole answer would cut streams. So a connection's writes are watched from
// aside instead: each write stamps when it began (two atomic stores, on a
// coarse clock), and one sweeper per server looks, every tick, for writes
// that have made no progress for the bound, and cuts their connections.

// defaultWriteStall is how long a write to the client may make no progress,
// as nginx's send_timeout.
const defaultWriteStall = 60 * time.Second

// sweeper runs a server's write watch: each tick it advances the coarse
// clock the writers stamp their writes with, then calls scan.
type sweeper struct {
	every time.Duration
	limit int64        // ticks a write may go without progress
	now   atomic.Int64 // the clock, in ticks from 1: 0 stamps no write

	stopc chan struct{}
	done  chan struct{}
	once  sync.Once
}

// start runs the sweeper's goroutine until stop. scan gets the clock and
// the limit, both in ticks.
func (sw *sweeper) start(bound time.Duration, scan func(now, limit int64)) {
	// A tick of a quarter of the bound (at most a second): a write that
	// stops moving is cut a bound and one to three ticks after it moved last.
	sw.every = min(max(bound/4, time.Millisecond), time.Second)
	sw.limit = int64((bound + sw.every - 1) / sw.every)
	sw.now.Store(1)
	sw.stopc, sw.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sw.done)
		t := time.NewTicker(sw.every)
		defer t.Stop()
		for {
			select {
			case <-sw.stopc:
				return
			case <-t.C:
				// A ticker drops ticks for a slow receiver: the clock only
				// runs slow, so a write is never cut early.
				scan(sw.now.Add(1), sw.limit)
			}
		}
	}()
}

// stop ends the sweeper and waits for its goroutine; it may be called more
// than once.
func (sw *sweeper) stop() {
	sw.once.Do(func() {
		close(sw.stopc)
		<-sw.done
	})
}

// stallWriter is what a connection's answers are written through: it
// stamps each write's start on the sweeper's clock so the sweeper can tell
// a write that has made no progress for too long.
type stallWriter struct {
	nc    net.Conn
	clock *atomic.Int64
	since atomic.Int64 // the tick the pending write began at; 0: none pending

	// The sweeper's own view of the pending write; only its goroutine
	// touches these.
	mark     int64  // the since value watched
	acked    uint64 // bytes the client had acknowledged when last looked at
	progress int64  // tick of the last sign of progress of the watched write
}

func (w *stallWriter) init(nc net.Conn, clock *atomic.Int64) {
	w.nc, w.clock = nc, clock
}

func (w *stallWriter) Write(p []byte) (n int, err error) {
	for n < len(p) && err == nil {
		// Where the kernel's progress cannot be seen, a long write goes in
		// pieces, each a sign of progress.
		q := p[n:]
		if len(q) > stallChunk {
			q = q[:stallChunk]
		}
		w.since.Store(w.clock.Load())
		var m int
		m, err = w.nc.Write(q)
		n += m
	}
	w.since.Store(0)
	return n, err
}

// watched is a connection with its writes watched.
type watched interface {
	comparable
	writes() *stallWriter
}

// stalledConns returns the connections of a set, which mu guards, whose
// pending write has stalled. It runs in the sweeper's goroutine.
func stalledConns[C watched](mu *sync.Mutex, conns map[C]struct{}, now, limit int64) []C {
	var out []C
	mu.Lock()
	defer mu.Unlock()
	for c := range conns {
		if c.writes().stalled(now, limit) {
			out = append(out, c)
		}
	}
	return out
}

// stalled reports, in the sweeper's goroutine, whether the pending write
// has made no progress for more than limit ticks. Writes pending for less
// than two ticks, nearly all, are not looked at any closer.
func (w *stallWriter) stalled(now, limit int64) bool {
	since := w.since.Load()
	if since == 0 || now-since < 2 {
		return false
	}
	acked, seen := ackedBytes(w.nc)
	switch {
	case since != w.mark:
		// A write not looked at before. Bytes it moved before this look
		// cannot be told from none: when the kernel counts, the watch
		// starts now, never cutting early; otherwise at the write's start.
		w.mark, w.acked, w.progress = since, acked, since
		if seen {
			w.progress = now
		}
	case seen && acked != w.acked:
		// The client took bytes of a write the kernel could not take
		// whole: a slow reader, not a stalled one.
		w.acked, w.progress = acked, now
	}
	return now-w.progress > limit
}
