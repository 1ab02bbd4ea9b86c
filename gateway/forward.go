package gateway

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The gateway's own proxy path (forward) carries a web function's request
// and answer on a pooled keep-alive connection per instance, from the
// request's goroutine. Requests it does not handle (protocol upgrades such
// as websockets, requests with trailers) take httputil.ReverseProxy.

// hopHeaders are the hop-by-hop headers (RFC 9110 7.6.1) a proxy drops,
// besides the ones the Connection header names.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// requestSkip are request headers forward writes itself or drops: the
// rewrite of X-Forwarded-* (as ProxyRequest.SetXForwarded after Rewrite's
// clean-up), Host and Content-Length, and Expect: the body has been
// received already, so there is nothing to wait for.
var requestSkip = []string{
	"Host", "Content-Length", "Expect", "Forwarded",
	"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
}

// answerOwned are the answer headers the gateway sets itself.
var answerOwned = []string{hdrVersion, hdrRoute, hdrRequestID, hdrAPIRequestID, hdrStatus}

// hasToken reports whether the comma-separated header values hold token,
// compared without case (Connection: keep-alive, Upgrade).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// aLongTimeAgo, set as a deadline, makes blocked reads and writes return.
var aLongTimeAgo = time.Unix(1, 0)

// errAnswerStarted wraps a failure after the answer's status line went out:
// the caller can only abort the response.
var errAnswerStarted = errors.New("answer already started")

// usesReverseProxy reports whether r needs httputil.ReverseProxy: an upgrade
// (the proxy then joins two connections) or request trailers.
func usesReverseProxy(r *http.Request) bool {
	return len(r.Trailer) > 0 || r.Header["Upgrade"] != nil || r.Header["Connection"] != nil && hasToken(r.Header["Connection"], "Upgrade")
}

// forward sends r, with body, to the instance at c.addr and copies its
// answer to w. An error before the answer started leaves w untouched; one
// after wraps errAnswerStarted.
func (g *Gateway) forward(ctx context.Context, w http.ResponseWriter, r *http.Request, c *proxyCall, body []byte) error {
	// A request that cannot be sent twice is not risked on a connection
	// the instance may have closed since its last use: it is checked
	// after a shorter idle time.
	uc, err := g.upstreams.get(ctx, c.addr, !replayable(r))
	if err != nil {
		return err
	}
	err = g.exchangeOn(ctx, uc, w, r, c, body)
	if err != nil && uc.reused && retryable(r, err) {
		// The instance closed the idle connection as we used it: once more,
		// on a fresh one.
		if uc, err = g.upstreams.dial(ctx, c.addr); err == nil {
			err = g.exchangeOn(ctx, uc, w, r, c, body)
		}
	}
	return err
}

// exchangeOn carries one request and its answer on uc, then keeps uc for
// the next request or closes it. ctx ending closes the exchange.
func (g *Gateway) exchangeOn(ctx context.Context, uc *upConn, w http.ResponseWriter, r *http.Request, c *proxyCall, body []byte) error {
	uc.answering.Store(false)
	// ctx ending cuts the exchange (exwatch.go): watched by the gateway
	// server's connection when it runs the request, else by an AfterFunc.
	var stop func() bool
	ew := watcherOf(w, r)
	if ew != nil {
		ew.watch(ctx, uc)
	} else {
		stop = context.AfterFunc(ctx, func() {
			cutExchange(uc, http.NewResponseController(w).SetWriteDeadline)
		})
	}
	err := roundTrip(ctx, uc, r, c, body)
	reuse := false
	if err == nil {
		// answering is set before ctx is looked at, and read after ctx
		// ended: either the answer does not start, or the client's write
		// deadline is set.
		uc.answering.Store(true)
		if err = ctx.Err(); err == nil {
			var vals *[]string
			if ew != nil {
				vals = &ew.c.w.vals
			}
			reuse, err = answer(ctx, w, uc, vals)
		}
	}
	var cut bool
	if ew != nil {
		cut = ew.unwatch(ctx)
	} else {
		cut = !stop()
	}
	if cut {
		reuse = false // the deadline may be set: the connection is spent
		if err == nil && uc.answering.Load() {
			// So may the client's: what is left of the answer cannot go out.
			err = errors.Join(errAnswerStarted, ctx.Err())
		}
	}
	if uc.br.Buffered() > 0 {
		// Bytes past the end of the answer (a body longer than its
		// Content-Length, or sent to HEAD) would be read as the answer to
		// the next request, perhaps another client's.
		reuse = false
	}
	// After an answer without a body, a body sent all the same may still
	// be on its way: the next use checks the connection first.
	uc.verify = uc.ans.noBody
	if reuse {
		uc.release()
		g.upstreams.put(uc)
	} else {
		uc.conn.Close()
	}
	return err
}

// roundTripError is a failure of the exchange on the connection; wrote
// tells whether the request was written whole, got whether any byte of an
// answer arrived.
type roundTripError struct {
	err        error
	wrote, got bool
}

func (e *roundTripError) Error() string { return e.err.Error() }
func (e *roundTripError) Unwrap() error { return e.err }

// retryable reports whether a request that failed on a reused connection
// may be sent again: when the instance took none of it, or nothing came
// back and sending it twice is harmless.
func retryable(r *http.Request, err error) bool {
	var rt *roundTripError
	if !errors.As(err, &rt) || rt.got {
		return false
	}
	return !rt.wrote || replayable(r)
}

// replayable reports whether sending r twice is harmless.
func replayable(r *http.Request) bool {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return r.Header["Idempotency-Key"] != nil || r.Header["X-Idempotency-Key"] != nil
}

// maxInformational bounds the 1xx answers before the final one.
const maxInformational = 5

// roundTrip writes the request and reads the answer's head on uc, into
// uc.ans, with uc.body ready to read its body.
func roundTrip(ctx context.Context, uc *upConn, r *http.Request, c *proxyCall, body []byte) error {
	if err := writeRequest(uc.bw, r, c, body); err != nil {
		return &roundTripError{err: ctxErr(ctx, err)}
	}
	informational := 0
	for {
		if _, err := uc.br.Peek(1); err != nil {
			return &roundTripError{err: ctxErr(ctx, err), wrote: true}
		}
		var err error
		uc.head, err = readAnswerHead(uc.br, &uc.ans, uc.head, r.Method == "HEAD")
		if err != nil {
			return &roundTripError{err: ctxErr(ctx, err), wrote: true, got: true}
		}
		// Informational answers (103 Early Hints) are dropped: the final
		// one follows on the same connection, after a few of them at most,
		// as http.Transport allows. A 101 is an upgrade nobody asked for.
		if st := uc.ans.status; st >= 100 && st < 200 && st != http.StatusSwitchingProtocols {
			if informational++; informational > maxInformational {
				return &roundTripError{err: errors.Join(errBadAnswer, errors.New("too many informational answers")), wrote: true, got: true}
			}
			continue
		}
		if uc.ans.status == http.StatusSwitchingProtocols {
			return &roundTripError{err: errors.New("web function switched protocols unasked"), wrote: true, got: true}
		}
		uc.body.reset(uc.br, &uc.ans)
		return nil
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// writeRequest writes the request line, the headers a function sees and
// the body.
func writeRequest(bw *bufio.Writer, r *http.Request, c *proxyCall, body []byte) error {
	u := url.URL{Path: c.path, RawPath: c.rawPath}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(u.EscapedPath())
	if r.URL.RawQuery != "" {
		bw.WriteByte('?')
		bw.WriteString(r.URL.RawQuery)
	}
	host := r.Host
	if host == "" { // an HTTP/1.0 client may send none; HTTP/1.1 needs one
		host = c.addr
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")

	connTokens := r.Header["Connection"]
	for k, vv := range r.Header {
		if skipRequestHeader(k, connTokens) {
			continue
		}
		for _, v := range vv {
			writeHeader(bw, k, v)
		}
	}
	if hasToken(r.Header["Te"], "trailers") {
		writeHeader(bw, "Te", "trailers")
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		writeHeader(bw, "X-Forwarded-For", ip)
	}
	writeHeader(bw, "X-Forwarded-Host", r.Host)
	writeHeader(bw, "X-Forwarded-Proto", "http")
	t := c.target
	writeHeader(bw, "X-Scf-Request-Id", c.requestID)
	writeHeader(bw, "X-Scf-Memory", strconv.Itoa(t.MemoryMB))
	writeHeader(bw, "X-Scf-Timeout", strconv.Itoa(t.TimeoutSec))
	writeHeader(bw, "X-Scf-Version", t.Version)
	writeHeader(bw, "X-Scf-Name", t.Function)
	writeHeader(bw, "X-Scf-Namespace", t.Namespace)
	writeHeader(bw, "X-Scf-Region", scfRegion)
	writeHeader(bw, "X-Scf-Appid", scfAppID)
	writeHeader(bw, "X-Scf-Uin", scfUIN)
	switch {
	case body != nil:
		writeHeader(bw, "Content-Length", strconv.Itoa(len(body)))
	case r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH":
		bw.WriteString("Content-Length: 0\r\n")
	}
	bw.WriteString("\r\n")
	bw.Write(body)
	return bw.Flush()
}

func writeHeader(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// skipRequestHeader reports whether the client's header k stays behind:
// hop-by-hop, named by Connection, rewritten by forward, or X-Scf-* (the
// platform's alone).
func skipRequestHeader(k string, connTokens []string) bool {
	if strings.IndexByte(k, '_') >= 0 {
		// CGI-style servers (PHP, WSGI, Rack) map X_Scf_Request_Id and
		// X-Scf-Request-Id to one variable: judge the dashed spelling, so
		// an underscore cannot smuggle in a header the platform owns.
		k = http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-"))
	}
	if len(k) >= 6 && strings.EqualFold(k[:6], "X-Scf-") {
		return true
	}
	for _, h := range hopHeaders {
		if k == h {
			return true
		}
	}
	for _, h := range requestSkip {
		if k == h {
			return true
		}
	}
	return connTokens != nil && hasToken(connTokens, k)
}

// answer copies the answer on uc to w and reports whether the connection
// can carry the next request. vals, when not nil, is room w's server keeps
// for the header values until the answer is done.
func answer(ctx context.Context, w http.ResponseWriter, uc *upConn, vals *[]string) (reuse bool, err error) {
	a := &uc.ans
	h := w.Header()
	var connBuf [2]string
	connTokens := connBuf[:0]
	contentType := ""
	for _, f := range a.fields {
		switch f.name {
		case "Connection":
			connTokens = append(connTokens, f.value)
		case "Content-Type":
			contentType = f.value
		}
	}
	// One backing array for the values, as the request's server does.
	var vs []string
	if vals != nil {
		vs = slices.Grow((*vals)[:0], len(a.fields))[:len(a.fields)]
		*vals = vs
	} else {
		vs = make([]string, len(a.fields))
	}
	for i, f := range a.fields {
		if skipAnswerHeader(f.name, connTokens) {
			continue
		}
		if old, ok := h[f.name]; ok && repeated(a.fields[:i], f.name) {
			h[f.name] = append(old, f.value)
			continue
		}
		vs[i] = f.value
		h[f.name] = vs[i : i+1 : i+1]
	}
	if len(a.trailers) > 0 {
		h["Trailer"] = []string{strings.Join(a.trailers, ", ")}
	}
	w.WriteHeader(a.status)

	streaming := !a.noBody && a.contentLength < 0 || strings.HasPrefix(contentType, "text/event-stream")
	if err := copyBody(w, &uc.body, streaming); err != nil {
		return false, errors.Join(errAnswerStarted, ctxErr(ctx, err))
	}
	if tr := uc.body.trailer; len(tr) > 0 {
		prefix := ""
		for k := range tr {
			if !slices.Contains(a.trailers, k) {
				prefix = http.TrailerPrefix // not all announced: the server sends them as they come
			}
		}
		for k, vv := range tr {
			h[prefix+k] = vv
		}
	}
	return !a.close, nil
}

// repeated reports whether name is among fields.
func repeated(fields []headField, name string) bool {
	for _, f := range fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// skipAnswerHeader reports whether the function's answer header k stays
// behind: hop-by-hop, named by Connection, or set by the gateway.
func skipAnswerHeader(k string, connTokens []string) bool {
	for _, h := range hopHeaders {
		if k == h {
			return true
		}
	}
	for _, h := range answerOwned {
		if k == h {
			return true
		}
	}
	return connTokens != nil && hasToken(connTokens, k)
}
