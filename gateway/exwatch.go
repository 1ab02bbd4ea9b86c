package gateway

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// An exchange with an instance must end when its request does (the client
// left, the server closes, a stalled answer is cut) or at the function's
// deadline: its upstream connection gets a past deadline, and so does the
// client's once the answer has started. On the gateway's own server this
// costs no context machinery per request: the connection watches the
// exchange its current request runs (exchangeWatch) with a timer it keeps
// from request to request, and whatever cancels the request also cuts the
// exchange. Under another server (net/http's, or a handler that gave the
// request another context) exchangeOn watches ctx with context.AfterFunc.
//
// The context an exchange runs under is the request's with at most an
// earlier deadline (Backend.Serve's contract), so its ends are the
// request's and the deadline, both watched here.

// exchangeWatch is a srvConn's watch of the exchange of its current request.
type exchangeWatch struct {
	c *srvConn

	mu       sync.Mutex // guards the fields below
	up       *upConn    // the exchange's connection; nil when none runs
	cut      bool       // the exchange was cut
	deadline time.Time  // the exchange's deadline; zero for none
	timer    *time.Timer
	fire     func() // w.deadlinePassed, made once
}

// watcherOf returns the watch of the gateway server's connection whose
// current request r is, answered through w; nil when r is not one (another
// server, or a request with another context).
func watcherOf(w http.ResponseWriter, r *http.Request) *exchangeWatch {
	if rw, ok := w.(*responseWriter); ok {
		w = rw.ResponseWriter
	}
	sw, ok := w.(*respWriter)
	if !ok || sw.c == nil || sw.r != r {
		return nil
	}
	return &sw.c.ew
}

// watch starts watching the exchange on uc under ctx.
func (w *exchangeWatch) watch(ctx context.Context, uc *upConn) {
	d, hasDeadline := ctx.Deadline()
	w.mu.Lock()
	w.up, w.cut, w.deadline = uc, false, time.Time{}
	if hasDeadline {
		w.deadline = d
		if w.timer == nil {
			w.fire = w.deadlinePassed
			w.timer = time.AfterFunc(time.Until(d), w.fire)
		} else {
			w.timer.Reset(time.Until(d))
		}
	}
	w.mu.Unlock()
	// A request cancelled before the watch began found no exchange to cut.
	if ctx.Err() != nil {
		w.abort()
	}
}

// unwatch ends the watch of the exchange under ctx and reports whether it
// was cut, so that its connections may have a past deadline.
func (w *exchangeWatch) unwatch(ctx context.Context) (cut bool) {
	w.mu.Lock()
	cut = w.cut
	w.up, w.cut, w.deadline = nil, false, time.Time{}
	if w.timer != nil {
		// A fire that comes all the same finds no exchange, or the next
		// one, whose deadline it checks.
		w.timer.Stop()
	}
	w.mu.Unlock()
	if cut && ctx.Err() == nil {
		// Cut at the deadline by this timer, while ctx's own (a
		// context.WithTimeout's) may fire a moment later: the caller,
		// and the backend that classifies the failure by ctx.Err, must
		// see ctx ended. A request's cancellers end it before they cut.
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	return cut
}

// abort cuts the exchange running, if any: its request was cancelled,
// which the canceller did first, so the exchange reads the request's end
// in ctx.Err.
func (w *exchangeWatch) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cutLocked()
}

// deadlinePassed is the timer's: it cuts the exchange once its deadline has
// passed.
func (w *exchangeWatch) deadlinePassed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.deadline.IsZero() || time.Now().Before(w.deadline) {
		return // a late fire meant for an exchange that has ended
	}
	w.cutLocked()
}

func (w *exchangeWatch) cutLocked() {
	if w.up == nil || w.cut {
		return
	}
	w.cut = true
	cutExchange(w.up, w.c.nc.SetWriteDeadline)
}

// cutExchange makes the blocked reads and writes of an exchange on uc
// return: the instance's connection's, and once the answer may have
// started, the client's (setWriteDeadline). Before the answer starts the
// client's connection stays writable for the gateway's error answer; after,
// a client that stopped reading would hold the instance past the function's
// end, blocked in a write.
func cutExchange(uc *upConn, setWriteDeadline func(time.Time) error) {
	_ = uc.conn.SetDeadline(aLongTimeAgo)
	if uc.answering.Load() {
		_ = setWriteDeadline(aLongTimeAgo)
	}
}
