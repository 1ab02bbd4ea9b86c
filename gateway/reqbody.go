package gateway

import (
	"io"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/lazyctx"
)

// reqBody is a request body with a Content-Length or chunked.
type reqBody struct {
	c         *srvConn
	remaining int64     // bytes left of a Content-Length body
	chunked   io.Reader // the decoder of a chunked one, nil otherwise
	expect    bool      // 100 Continue is due before the first read
	done      bool      // EOF reached
	closed    bool      // Close was called
	err       error     // a sticky read error
	// ctx is the request's context; the background read that watches
	// for the client leaving gets it once the body is read whole.
	ctx *lazyctx.Ctx
}

func (b *reqBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.expect {
		b.expect = false
		if !b.c.w.wroteHeader {
			b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if err := b.c.bw.Flush(); err != nil {
				b.err = err
				return 0, err
			}
		}
	}
	var n int
	var err error
	if b.chunked != nil {
		n, err = b.chunked.Read(p)
		if err == io.EOF {
			b.done = true
			b.c.bg.arm(b.ctx)
		}
	} else {
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err = b.c.br.Read(p)
		b.remaining -= int64(n)
		if b.remaining == 0 {
			b.done, err = true, io.EOF
			b.c.bg.arm(b.ctx)
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// Close marks the body done; the server reads away what is left.
func (b *reqBody) Close() error {
	b.closed = true
	return nil
}

// skippable reports whether the unread rest of the body will surely be
// read away after the answer, to keep the connection: it is done, or its
// length is known and small and the client sends it.
func (b *reqBody) skippable() bool {
	return b.done || b.err == nil && !b.expect && b.chunked == nil && b.remaining <= maxDiscard
}

// drain reads away the unread rest of the body, up to maxDiscard, and
// reports whether the connection is still in step with the client. A body
// known to be longer, or one whose client waits for a 100 Continue that
// will not come, is not read at all.
func (b *reqBody) drain() bool {
	if b.done {
		return true
	}
	if b.err != nil || b.expect || b.chunked == nil && b.remaining > maxDiscard {
		return false
	}
	b.closed = false
	_ = b.c.nc.SetReadDeadline(time.Now().Add(b.c.s.ReadHeaderTimeout))
	n, err := io.CopyN(io.Discard, b, maxDiscard+1)
	_ = b.c.nc.SetReadDeadline(time.Time{})
	return n <= maxDiscard && (err == io.EOF || err == nil && b.done)
}
