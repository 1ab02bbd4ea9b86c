package gateway

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"time"
)

// respWriter is the http.ResponseWriter of the gateway's server. The head
// goes out lazily: a body that ends within pendingMax bytes gets a
// Content-Length (and a sniffed Content-Type, as net/http gives), a longer
// one or a flushed one goes chunked (to an HTTP/1.0 client: until the
// connection closes).
type respWriter struct {
	c      *srvConn
	r      *http.Request
	header http.Header

	status      int
	wroteHeader bool
	headSent    bool
	head        bool  // a HEAD request: no body goes out
	cl          int64 // the Content-Length the handler set, -1 for none
	written     int64 // body bytes the handler wrote
	chunked     bool
	closeAfter  bool     // the connection ends after this answer
	pending     []byte   // body bytes held back until the head goes out
	trailers    []string // keys the head announced in Trailer
	keys        []string // the header's keys, sorted for writing; reused
	err         error    // a sticky write error

	// vals backs the header values the proxy copies from an instance's
	// answer (see answer); reused.
	vals  []string
	clBuf [20]byte // room to format a Content-Length
}

const pendingMax = 4 << 10

func (w *respWriter) reset(c *srvConn, r *http.Request) {
	h := w.header // the last answer's, emptied by release; a handler may not keep it past ServeHTTP
	if h == nil {
		h = make(http.Header, 8)
	}
	*w = respWriter{c: c, r: r, header: h, cl: -1, pending: w.pending[:0],
		head: r.Method == "HEAD", closeAfter: c.hd.close, trailers: w.trailers[:0], keys: w.keys[:0], vals: w.vals[:0]}
}

// release drops the answer's request and header, and the room of a big
// header, once the answer is done.
func (w *respWriter) release() {
	keys, trailers, vals := w.keys, w.trailers, w.vals
	if cap(keys) > maxKeptFields {
		keys = nil
	}
	if cap(trailers) > maxKeptFields {
		trailers = nil
	}
	if cap(vals) > maxKeptFields {
		vals = nil
	}
	clear(keys)
	clear(trailers)
	clear(vals[:cap(vals)]) // the strings keep the instance's answer head alive
	h := w.header
	if len(h) > maxKeptFields {
		h = nil
	}
	clear(h)
	*w = respWriter{pending: w.pending[:0], keys: keys[:0], trailers: trailers[:0], vals: vals[:0], header: h}
}

func (w *respWriter) Header() http.Header { return w.header }

func (w *respWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.status, w.wroteHeader = code, true
	if v := w.header["Content-Length"]; len(v) == 1 && bodyAllowed(code) {
		if n, ok := parseLength(v[0]); ok {
			w.cl = n
		}
	}
}

// writeInformational sends a 1xx answer (103 Early Hints) at once.
func (w *respWriter) writeInformational(code int) {
	if w.c.hd.minor == 0 {
		return
	}
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(statusLine(code))
	bw.WriteString("\r\n")
	w.writeFields(bw)
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		w.err = err
	}
}

func (w *respWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.cl >= 0 && w.written+int64(len(p)) > w.cl {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if w.head {
		return len(p), nil
	}
	if !w.headSent {
		if w.cl < 0 && len(w.pending)+len(p) <= pendingMax {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.sendHead(false)
	}
	if err := w.writeBody(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *respWriter) writeBody(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	bw := w.c.bw
	if w.chunked {
		var hex [16]byte
		bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
		bw.Write(p)
		_, err := bw.WriteString("\r\n")
		w.err = err
		return err
	}
	_, err := bw.Write(p)
	w.err = err
	return err
}

// Flush sends what the handler wrote so far.
func (w *respWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush for http.ResponseController.
func (w *respWriter) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if !w.headSent {
		w.sendHead(false)
	}
	if err := w.c.bw.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// SetReadDeadline and SetWriteDeadline are for http.ResponseController.
func (w *respWriter) SetReadDeadline(t time.Time) error  { return w.c.nc.SetReadDeadline(t) }
func (w *respWriter) SetWriteDeadline(t time.Time) error { return w.c.nc.SetWriteDeadline(t) }

// finish ends the answer: the head if it has not gone out, the last chunk
// and the trailers. An error means the connection is spent.
func (w *respWriter) finish() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if !w.headSent {
		w.sendHead(true)
	}
	if w.chunked {
		bw := w.c.bw
		bw.WriteString("0\r\n")
		for _, k := range w.trailers {
			writeValues(bw, k, w.header[k])
		}
		for _, k := range w.sortedKeys() {
			if after, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && validFieldName(after) {
				writeValues(bw, after, w.header[k])
			}
		}
		bw.WriteString("\r\n")
	}
	if w.cl >= 0 && w.written < w.cl && !w.head {
		// The client would wait for the rest: it gets what there is, then
		// the connection closes, as net/http does.
		w.closeAfter = true
	}
	return w.err
}

// sendHead writes the status line and the header fields, then the held
// back body. done says the handler has returned, so the body is whole.
func (w *respWriter) sendHead(done bool) {
	w.headSent = true
	h := w.header
	allowed := bodyAllowed(w.status)
	if tr := h["Trailer"]; len(tr) > 0 && allowed && w.c.hd.minor == 1 && !w.head {
		for _, v := range tr {
			for v != "" {
				var k string
				k, v, _ = strings.Cut(v, ",")
				if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
					w.trailers = append(w.trailers, k)
				}
			}
		}
		w.cl = -1
		delete(h, "Content-Length")
	}
	var clValue []byte
	clBuf := &w.clBuf // a local array would escape to the heap
	switch {
	case !allowed:
	case w.cl >= 0:
	case done && len(w.trailers) == 0 && !hasTrailerKeys(h) && (!w.head || w.written > 0):
		clValue = strconv.AppendInt(clBuf[:0], w.written, 10)
	case w.head:
	case w.c.hd.minor == 1:
		w.chunked = true
	default:
		w.closeAfter = true // HTTP/1.0: the body ends with the connection
	}
	if b := w.c.body; !done && b != nil && !b.skippable() {
		// The head goes out while the handler runs, its request's body
		// unread: the rest, if it comes at all, will not be read away.
		w.closeAfter = true
	}
	if !w.closeAfter && h["Connection"] != nil && hasToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	if w.c.s.closing.Load() {
		w.closeAfter = true
	}
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(statusLine(w.status))
	bw.WriteString("\r\n")
	w.writeFields(bw)
	if h["Date"] == nil {
		bw.Write(w.c.s.date.line(time.Now()))
	}
	if _, ok := h["Content-Type"]; !ok && allowed && len(w.pending) > 0 && h.Get("Content-Encoding") == "" {
		// A set Content-Encoding (gzip) makes the bytes no guide to the type.
		writeField(bw, "Content-Type", http.DetectContentType(w.pending))
	}
	if clValue != nil {
		bw.WriteString("Content-Length: ")
		bw.Write(clValue)
		bw.WriteString("\r\n")
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case w.closeAfter:
		bw.WriteString("Connection: close\r\n")
	case !w.closeAfter && w.c.hd.minor == 0:
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
	if len(w.pending) > 0 {
		p := w.pending
		w.pending = w.pending[:0]
		_ = w.writeBody(p)
		w.pending = p[:0]
	}
}

// writeFields writes the handler's header fields, sorted by name as
// net/http writes them, but the ones the server decides itself (framing,
// Connection), the ones an answer without a body must not have (304: no
// Content-Type either), with line breaks in values turned into spaces (no
// answer splitting) and invalid names left out, as net/http does.
func (w *respWriter) writeFields(bw *bufio.Writer) {
	noBody := !bodyAllowed(w.status)
	for _, k := range w.sortedKeys() {
		switch k {
		case "Transfer-Encoding", "Connection":
			continue
		case "Trailer":
			if len(w.trailers) > 0 {
				writeValues(bw, k, w.header[k])
			}
			continue
		case "Content-Length":
			if noBody {
				continue
			}
		case "Content-Type":
			if w.status == http.StatusNotModified {
				continue
			}
		}
		if strings.HasPrefix(k, http.TrailerPrefix) || !validFieldName(k) {
			continue
		}
		writeValues(bw, k, w.header[k])
	}
}

// sortedKeys returns the header's keys in order, in a slice the writer
// keeps for the next answer.
func (w *respWriter) sortedKeys() []string {
	keys := w.keys[:0]
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.keys = keys
	return keys
}

func writeValues(bw *bufio.Writer, k string, vv []string) {
	for _, v := range vv {
		writeField(bw, k, v)
	}
}

func writeField(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	bw.WriteString(strings.TrimSpace(v))
	bw.WriteString("\r\n")
}

func validFieldName(k string) bool { return k != "" && isToken(k) }

func hasTrailerKeys(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// bodyAllowed reports whether an answer with status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// statusLine is "200 OK" for 200.
func statusLine(code int) string {
	if code == http.StatusOK {
		return "200 OK"
	}
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + text
}

// chunkedBody decodes a chunked request body and reads away its trailer
// section, which the server does not pass on (a request that announces
// trailers goes to net/http).
type chunkedBody struct {
	br *bufio.Reader
	cr io.Reader
}

func newChunkedReader(br *bufio.Reader) io.Reader {
	return &chunkedBody{br: br, cr: httputil.NewChunkedReader(br)}
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	n, err := b.cr.Read(p)
	if err != io.EOF {
		return n, err
	}
	for lines := 0; ; lines++ {
		line, lerr := b.br.ReadSlice('\n')
		if lerr != nil {
			return n, lerr
		}
		if len(line) < 2 || line[len(line)-2] != '\r' || lines > 100 {
			return n, errMalformed
		}
		if len(line) == 2 {
			return n, io.EOF
		}
	}
}
