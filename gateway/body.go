package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// defaultBodyTimeout is how long a client may take to send a request body
// when Options.BodyTimeout is 0: generous for 6 MB on a slow link, short
// enough that stalled uploads do not pile up.
const defaultBodyTimeout = 30 * time.Second

// ErrBodyTimeout is wrapped by the error of a request whose body did not
// arrive within the body deadline; the client gets 408.
var ErrBodyTimeout = errors.New("request body not received in time")

// errBadBody is wrapped by the error of a request whose body framing is
// broken (a chunk size that is not hex, a chunk without its CRLF): the
// client's mistake, answered 400, not a client that went away.
var errBadBody = errors.New("invalid request body")

// receiveBody reads the whole request body, up to the size limit, within
// the body deadline. It runs before the backend is asked for an instance,
// so a slow or stalled upload costs a goroutine and a connection, never an
// instance that other requests wait for. A request without a body (GET,
// an upgrade to a websocket) returns nil at once.
func (ex *exchange) receiveBody() ([]byte, error) {
	limit := ex.g.maxBody
	if ex.r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body := ex.r.Body
	if body == nil || body == http.NoBody {
		ex.record(nil)
		return nil, nil
	}
	timeout := ex.g.bodyTimeout
	deadline := time.Now().Add(timeout)
	rc := http.NewResponseController(ex.w)
	var b []byte
	var err error
	if rc.SetReadDeadline(deadline) == nil {
		b, err = io.ReadAll(io.LimitReader(body, limit+1))
		// The server keeps reading the connection in the background while
		// the handler runs (to notice a client that leaves); a deadline left
		// in place would end the request there.
		_ = rc.SetReadDeadline(time.Time{})
	} else {
		b, err = readWithTimer(body, limit, timeout)
	}
	if err != nil {
		if errors.Is(err, ErrBodyTimeout) || !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w: %d bytes arrived in %s", ErrBodyTimeout, len(b), timeout)
		}
		return nil, readFailure(err, limit)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	ex.record(b)
	return b, nil
}

// readWithTimer reads body for a server whose connection has no read
// deadline to set. The reader goroutine ends when the read does: when the
// server closes the connection after the 408, at the latest.
func readWithTimer(body io.Reader, limit int64, timeout time.Duration) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(body, limit+1))
		done <- result{b, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.b, r.err
	case <-t.C:
		return nil, ErrBodyTimeout
	}
}

// writeBodyTimeout answers a request whose body did not arrive in time with
// API Gateway's own error body; no function ran. The connection is closed,
// since the rest of the body may still come.
func (ex *exchange) writeBodyTimeout(err error) {
	ex.rec.Err = err
	ex.w.Header().Set("Connection", "close")
	msg := fmt.Sprintf("Request body was not received within %s", ex.g.bodyTimeout)
	writeJSON(ex.w, http.StatusRequestTimeout, gatewayErrorBody(http.StatusRequestTimeout, msg))
}

// readFailure classifies an error reading a request's body: over the
// gateway's limit (406), the client went away (499), else a body the
// client framed wrong (400). The chunked decoders' errors have no type of
// their own, so a broken body is what is not a connection's end.
func readFailure(err error, limit int64) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(limit)
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, syscall.ECONNRESET) {
		return scferr.New(scferr.ErrRequestCanceled, "reading the request body failed", err)
	}
	return fmt.Errorf("%w: %w", errBadBody, err)
}

// failBody answers a request whose body could not be received.
func (ex *exchange) failBody(err error) {
	switch {
	case errors.Is(err, ErrBodyTimeout):
		ex.writeBodyTimeout(err)
	case errors.Is(err, errBadBody):
		// The framing is lost: what follows on the connection is not a
		// request.
		ex.rec.Err = err
		ex.w.Header().Set("Connection", "close")
		writeJSON(ex.w, http.StatusBadRequest, gatewayErrorBody(http.StatusBadRequest, "Invalid request body: "+strings.TrimPrefix(err.Error(), errBadBody.Error()+": ")))
	default:
		ex.writeFailure(err)
	}
}

// bodyReader is the body handed on to a web function: the bytes received,
// or no body at all.
func bodyReader(b []byte) io.ReadCloser {
	if b == nil {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(b))
}
