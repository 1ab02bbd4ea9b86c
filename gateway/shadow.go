package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/scferr"
)

// RouteShadow is the Route of a shadow copy's Target: the request was also
// sent to the alias's shadow version, and its answer goes nowhere.
const RouteShadow = "shadow"

// defaultShadowBody is the largest web request body buffered for a copy.
const defaultShadowBody = 1 << 20

// Shadower is implemented by a Backend that runs shadow copies. When
// Resolve returns a Target with a Shadow version, the gateway prepares a
// copy of the request (the same event, or the web request with its body
// buffered) and hands it to Shadow, whose run invokes the copy through the
// Backend's own Invoke or Serve with a Target whose Route is RouteShadow.
// Shadow must not block: it runs the copy in the background, bounded, or
// drops it and counts the drop. A Backend that is no Shadower gets no
// copies.
type Shadower interface {
	Shadow(t Target, run func(ctx context.Context))
	// ShadowSkipped counts a copy the gateway could not prepare, saying why.
	ShadowSkipped(t Target, reason string)
}

// shadowTarget is the Target a copy of a request routed to t runs on.
func shadowTarget(t Target) Target {
	st := t
	st.Version, st.Route, st.Shadow, st.ShadowDiff, st.Handle = t.Shadow, RouteShadow, "", false, nil
	return st
}

// shadowEvent hands a copy of an event function's request (body is the
// client's) to the shadower. In diff mode the copy's answer, and a noise
// sample's second answer of the primary, go to the comparer.
func (ex *exchange) shadowEvent(t Target, event, body []byte) {
	g := ex.g
	if t.Shadow == "" || g.shadower == nil {
		return
	}
	st, id, ev, dc, primaryID := shadowTarget(t), g.newID(), bytes.Clone(event), ex.diff, ex.reqID
	if dc != nil {
		dc.sample.Request.Body = string(body)
	}
	g.shadower.Shadow(st, func(ctx context.Context) {
		out, err := g.backend.Invoke(ctx, st, id, ev) // the Backend records the outcome
		if dc == nil {
			return
		}
		cand := eventAnswer(out, err, primaryID)
		var rerun *diff.Answer
		if dc.rerun {
			out, err := g.backend.Invoke(ctx, rerunTarget(t), g.newID(), ev)
			a := eventAnswer(out, err, primaryID)
			rerun = &a
		}
		dc.finish(ctx, g.comparer, cand, rerun)
	})
}

// replayBody returns the received body of a web request for its shadow
// copy: nil, meaning no copy, when it is over the replay limit.
func (ex *exchange) replayBody(received []byte) []byte {
	if int64(len(received)) > min(ex.g.shadowBody, ex.g.maxBody) {
		return nil
	}
	if received == nil {
		return []byte{}
	}
	return received
}

// shadowWeb hands a copy of a web function's request, with body, to the
// shadower. It is called before the real request is proxied, so the clone
// sees the request exactly as the client sent it.
func (ex *exchange) shadowWeb(t Target, rest, restRaw string, body []byte) {
	g := ex.g
	st, id := shadowTarget(t), g.newID()
	if body == nil {
		g.shadower.ShadowSkipped(st, fmt.Sprintf("request body is over the %d-byte replay limit", min(g.shadowBody, g.maxBody)))
		return
	}
	in := ex.r.Clone(context.WithoutCancel(ex.r.Context()))
	dc, primaryID := ex.diff, ex.reqID
	if dc != nil {
		dc.sample.Request.Body = string(body)
	}
	g.shadower.Shadow(st, func(ctx context.Context) {
		if dc == nil {
			_ = ex.copyWeb(ctx, st, id, in, rest, restRaw, body, shadowSink{header: http.Header{}})
			return
		}
		cand := ex.webAnswer(ctx, st, id, in, rest, restRaw, body, primaryID)
		var rerun *diff.Answer
		if dc.rerun {
			a := ex.webAnswer(ctx, rerunTarget(t), g.newID(), in, rest, restRaw, body, primaryID)
			rerun = &a
		}
		dc.finish(ctx, g.comparer, cand, rerun)
	})
}

// webAnswer runs a copy of a web request on st and returns its answer; a
// failure is answered as the gateway would answer the client.
func (ex *exchange) webAnswer(ctx context.Context, st Target, id string, in *http.Request, rest, restRaw string, body []byte, primaryID string) diff.Answer {
	w := &captureWriter{limit: diff.DefaultBodyBytes}
	if err := ex.copyWeb(ctx, st, id, in, rest, restRaw, body, w); err != nil && w.status == 0 {
		e := classify(err)
		writeJSON(w, httpStatus(e.Status), scferr.Body(e, primaryID))
	}
	return w.answer()
}

// copyWeb proxies a copy of a web request, with body, to a warm instance of
// st's version, answering into w.
func (ex *exchange) copyWeb(ctx context.Context, st Target, id string, in *http.Request, rest, restRaw string, body []byte, w http.ResponseWriter) error {
	g := ex.g
	c := &proxyCall{path: rest, rawPath: restRaw, target: st, requestID: id}
	return g.backend.Serve(ctx, st, id, func(ctx context.Context, addr string) (err error) {
		defer func() {
			// The proxy panics with http.ErrAbortHandler when the function
			// dies halfway through its answer; for a copy that is just a
			// failed call.
			if p := recover(); p != nil {
				err = fmt.Errorf("shadow copy to web function at %s: answer aborted", addr)
			}
		}()
		c.addr, c.err = addr, nil
		out := in.WithContext(context.WithValue(ctx, proxyKey{}, c))
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		g.proxy.ServeHTTP(w, out)
		if c.err != nil {
			return fmt.Errorf("shadow copy to web function at %s: %w", addr, c.err)
		}
		return nil
	})
}

// shadowSink is the ResponseWriter of a shadow copy: the answer goes
// nowhere.
type shadowSink struct{ header http.Header }

func (d shadowSink) Header() http.Header         { return d.header }
func (d shadowSink) Write(b []byte) (int, error) { return len(b), nil }
func (d shadowSink) WriteHeader(int)             {}
