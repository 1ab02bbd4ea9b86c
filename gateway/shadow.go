package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

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
	st.Version, st.Route, st.Shadow, st.Handle = t.Shadow, RouteShadow, "", nil
	return st
}

// shadowEvent hands a copy of an event function's request to the shadower.
func (ex *exchange) shadowEvent(t Target, event []byte) {
	g := ex.g
	if t.Shadow == "" || g.shadower == nil {
		return
	}
	st, id, ev := shadowTarget(t), g.newID(), bytes.Clone(event)
	g.shadower.Shadow(st, func(ctx context.Context) {
		_, _ = g.backend.Invoke(ctx, st, id, ev) // the Backend records the outcome
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
	g.shadower.Shadow(st, func(ctx context.Context) {
		c := &proxyCall{path: rest, rawPath: restRaw, target: st, requestID: id}
		_ = g.backend.Serve(ctx, st, id, func(ctx context.Context, addr string) (err error) {
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
			g.proxy.ServeHTTP(shadowSink{header: http.Header{}}, out)
			if c.err != nil {
				return fmt.Errorf("shadow copy to web function at %s: %w", addr, c.err)
			}
			return nil
		})
	})
}

// shadowSink is the ResponseWriter of a shadow copy: the answer goes
// nowhere.
type shadowSink struct{ header http.Header }

func (d shadowSink) Header() http.Header         { return d.header }
func (d shadowSink) Write(b []byte) (int, error) { return len(b), nil }
func (d shadowSink) WriteHeader(int)             {}

// readFailure classifies an error reading a web request's body for a copy:
// over the gateway's limit (406), or the client went away.
func readFailure(err error, limit int64) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(limit)
	}
	return scferr.New(scferr.ErrRequestCanceled, "reading the request body failed", err)
}
