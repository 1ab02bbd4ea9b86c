package api

import (
	"bytes"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// OriginalHostHeader carries the Host value a client sent when
// TolerantListener had to repair it; signature verification uses it.
const OriginalHostHeader = "X-Emulator-Original-Host"

// TolerantListener wraps l so that requests whose Host header holds a URL,
// such as "Host: http://127.0.0.1:9001" (what tccli sends for an http
// endpoint), reach the handler instead of Go's "400 malformed Host header".
// On every HTTP/1.x request of every connection it rewrites that line to
// the URL's host, adds OriginalHostHeader with the value as sent, and drops
// any OriginalHostHeader the client sent itself. It follows Content-Length
// and chunked bodies so that keep-alive and pipelined requests are all
// seen; anything it does not understand passes through unchanged for
// net/http to judge.
func TolerantListener(l net.Listener) net.Listener {
	return &tolerantListener{Listener: l}
}

type tolerantListener struct{ net.Listener }

func (l *tolerantListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tolerantConn{Conn: c}, nil
}

// tolerantConn rewrites the request stream read from Conn.
type tolerantConn struct {
	net.Conn
	mu  sync.Mutex // guards rw and buf; serialises Read
	rw  rewriter
	buf [4096]byte
}

// NetConn returns the connection underneath, as tls.Conn does, for what
// follows the connections of the listener wrapped
// (gateway.Listener.ConnState).
func (c *tolerantConn) NetConn() net.Conn { return c.Conn }

func (c *tolerantConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if n := c.rw.take(p); n > 0 {
			return n, nil
		}
		n, err := c.Conn.Read(c.buf[:])
		c.rw.feed(c.buf[:n])
		if err != nil {
			// A deadline is not the end: net/http interrupts reads that way
			// and then reads on, so a partial header block is kept. Anything
			// else ends the stream, and what is held goes out as it came.
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				c.rw.finish()
			}
			if n := c.rw.take(p); n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
}

// Limits of what the rewriter buffers before giving up and passing the rest
// of the connection through: net/http's default MaxHeaderBytes, and a
// generous chunk-size line.
const (
	maxHeaderBlock = 1 << 20
	maxChunkLine   = 4096
)

type rwState int

const (
	stHeader    rwState = iota // collecting a request's header block
	stBody                     // passing remaining bytes of a Content-Length body
	stChunkSize                // collecting a chunk-size line
	stChunkData                // passing remaining bytes of chunk data and its CRLF
	stTrailer                  // passing trailer lines up to the empty one
	stPass                     // passing everything unchanged for good
)

// rewriter is the request-stream state machine. in holds bytes not yet
// processed; out holds processed bytes not yet read.
type rewriter struct {
	state     rwState
	in, out   []byte
	scanned   int   // bytes of in already searched for the end of a header block
	remaining int64 // stBody, stChunkData
}

func (w *rewriter) take(p []byte) int {
	n := copy(p, w.out)
	w.out = w.out[n:]
	if len(w.out) == 0 {
		w.out = nil
	}
	return n
}

func (w *rewriter) finish() {
	w.out = append(w.out, w.in...)
	w.in = nil
	w.state = stPass
}

func (w *rewriter) feed(b []byte) {
	w.in = append(w.in, b...)
	for len(w.in) > 0 {
		if !w.step() {
			return
		}
	}
}

// step processes the start of in and reports whether it made progress.
func (w *rewriter) step() bool {
	switch w.state {
	case stHeader:
		return w.header()
	case stBody, stChunkData:
		n := min(w.remaining, int64(len(w.in)))
		w.emit(int(n))
		w.remaining -= n
		if w.remaining == 0 {
			if w.state == stChunkData {
				w.state = stChunkSize
			} else {
				w.state = stHeader
			}
		}
		return true
	case stChunkSize, stTrailer:
		i := bytes.IndexByte(w.in, '\n')
		if i < 0 {
			if len(w.in) > maxChunkLine {
				w.state = stPass
				return true
			}
			return false
		}
		line := w.in[:i+1]
		if w.state == stTrailer {
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				w.state = stHeader
			}
			w.emit(len(line))
			return true
		}
		size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(line), ";", 2)[0]), 16, 64)
		w.emit(len(line))
		switch {
		case err != nil || size < 0:
			w.state = stPass
		case size == 0:
			w.state = stTrailer
		default:
			w.state, w.remaining = stChunkData, size+2 // data and its CRLF
		}
		return true
	}
	w.emit(len(w.in))
	return true
}

func (w *rewriter) emit(n int) {
	w.out = append(w.out, w.in[:n]...)
	w.in = w.in[n:]
}

// header looks for the end of the header block (an empty line) and
// rewrites the block once complete.
func (w *rewriter) header() bool {
	// Empty lines before a request line are noise some clients send after a
	// body; pass them on untouched.
	if w.in[0] == '\n' || (w.in[0] == '\r' && len(w.in) > 1 && w.in[1] == '\n') {
		w.emit(bytes.IndexByte(w.in, '\n') + 1)
		return true
	}
	end := -1
	for pos := w.scanned; ; {
		i := bytes.IndexByte(w.in[pos:], '\n')
		if i < 0 {
			w.scanned = pos
			break
		}
		line := w.in[pos : pos+i+1]
		pos += i + 1
		if pos > len(line) && len(bytes.TrimRight(line, "\r\n")) == 0 {
			end = pos
			break
		}
	}
	if end < 0 {
		if len(w.in) > maxHeaderBlock {
			w.state = stPass
			return true
		}
		return false
	}
	block := w.in[:end]
	w.in = w.in[end:]
	w.scanned = 0
	out, state, remaining := rewriteHeader(block)
	w.out = append(w.out, out...)
	w.state, w.remaining = state, remaining
	return true
}

// rewriteHeader repairs one header block and says how the body that
// follows is framed.
func rewriteHeader(block []byte) ([]byte, rwState, int64) {
	lines := bytes.SplitAfter(block, []byte("\n"))
	reqLine := string(bytes.TrimRight(lines[0], "\r\n"))
	if !strings.HasSuffix(reqLine, " HTTP/1.1") && !strings.HasSuffix(reqLine, " HTTP/1.0") {
		return block, stPass, 0 // HTTP/2 preface or garbage: not ours to touch
	}
	next := stHeader
	if strings.HasPrefix(reqLine, "CONNECT ") {
		next = stPass
	}
	out := make([]byte, 0, len(block)+64)
	out = append(out, lines[0]...)
	var length int64 = -1
	chunked, badFraming := false, false
	for _, line := range lines[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' {
			out = append(out, line...)
			continue
		}
		eol := line[len(bytes.TrimRight(line, "\r\n")):]
		v := strings.TrimSpace(string(value))
		switch strings.ToLower(string(name)) {
		case strings.ToLower(OriginalHostHeader):
			continue // only this listener may set it
		case "host":
			if host, ok := urlHost(v); ok {
				out = append(out, "Host: "+host...)
				out = append(out, eol...)
				out = append(out, OriginalHostHeader+": "+v...)
				out = append(out, eol...)
				continue
			}
		case "content-length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || (length >= 0 && length != n) {
				badFraming = true
			}
			length = n
		case "transfer-encoding":
			codings := strings.Split(strings.ToLower(v), ",")
			chunked = strings.TrimSpace(codings[len(codings)-1]) == "chunked"
			badFraming = badFraming || !chunked
		}
		out = append(out, line...)
	}
	switch {
	case badFraming:
		return out, stPass, 0
	case chunked:
		return out, stChunkSize, 0
	case length > 0:
		return out, stBody, length
	}
	return out, next, 0
}

// urlHost returns the host of a Host value written as a URL.
func urlHost(v string) (string, bool) {
	lower := strings.ToLower(v)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", false
	}
	return u.Host, true
}
