package gateway

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"sync"
)

// The parser of a web function's answer head, in place of http.ReadResponse
// (a third of the allocations of a web request). A function is user code
// and may be hostile, and its connection is kept for the next request, so
// the parser is as strict as the request parser (head.go) where a lenient
// reading lets the gateway and the function disagree about where an answer
// ends: no obs-fold, no space before a colon, one Content-Length of digits
// (repeated only with the same value), never Content-Length with
// Transfer-Encoding, chunked as the only transfer coding. Lines may end in
// a bare LF, as net/http's client allows: only this parser reads the
// stream, so that is no ambiguity.

// errBadAnswer wraps every reason an answer head is refused; the client
// gets a 502 as for any failure of the function.
var errBadAnswer = errors.New("malformed answer from the web function")

// maxAnswerHead bounds an answer head, as http.Transport's default.
const maxAnswerHead = 1 << 20

// upAnswer is a parsed answer head. The field strings point into one copy
// of the head; fields keeps its capacity across answers on a connection.
type upAnswer struct {
	status        int
	fields        []headField
	contentLength int64 // -1 when none was sent
	chunked       bool
	close         bool // the connection ends after this answer
	noBody        bool // HEAD, 204, 304: no body whatever the head says
	// trailers are the keys the head announced in Trailer.
	trailers []string
}

// readAnswerHead reads and parses one answer head from br into a, reusing
// head's room; isHead says the request was a HEAD.
func readAnswerHead(br *bufio.Reader, a *upAnswer, head []byte, isHead bool) ([]byte, error) {
	head = head[:0]
	for {
		line, err := br.ReadSlice('\n')
		if len(head)+len(line) > maxAnswerHead {
			return head, errors.Join(errBadAnswer, errors.New("answer head too large"))
		}
		head = append(head, line...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(head) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return head, err
		}
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			if len(head) == len(line) {
				return head, errors.Join(errBadAnswer, errors.New("empty line before the status line"))
			}
			return head, parseAnswerHead(string(head), a, isHead)
		}
	}
}

// parseAnswerHead parses raw, a whole answer head ending in an empty line,
// to a request whose method was HEAD when isHead.
func parseAnswerHead(raw string, a *upAnswer, isHead bool) error {
	*a = upAnswer{fields: a.fields[:0], trailers: a.trailers[:0], contentLength: -1}
	bad := func(why string) error { return errors.Join(errBadAnswer, errors.New(why)) }
	line, rest := cutLine(raw)
	minor, ok := 0, false
	switch {
	case strings.HasPrefix(line, "HTTP/1.1 "):
		minor, ok = 1, true
	case strings.HasPrefix(line, "HTTP/1.0 "):
		ok = true
	}
	if !ok || len(line) < 12 || line[12:] != "" && line[12] != ' ' {
		return bad("bad status line")
	}
	for i := 9; i < 12; i++ {
		if line[i] < '0' || line[i] > '9' {
			return bad("bad status code")
		}
		a.status = a.status*10 + int(line[i]-'0')
	}
	if a.status < 100 {
		return bad("bad status code")
	}
	var te string
	teSeen, keepAlive := false, false
	for {
		if rest == "" {
			return bad("no empty line ends the head")
		}
		line, rest = cutLine(rest)
		if line == "" {
			break
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return bad("bare CR in the head")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || !isToken(name) { // also obs-fold and "Name :"
			return bad("bad header line")
		}
		value = strings.Trim(value, " \t")
		if !validValue(value) {
			return bad("control character in a header value")
		}
		if !isCanonical(name) {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		switch name {
		case "Content-Length":
			n, ok := parseLength(value)
			if !ok || a.contentLength >= 0 && a.contentLength != n {
				return bad("bad or conflicting Content-Length")
			}
			a.contentLength = n
		case "Transfer-Encoding":
			if teSeen {
				return bad("more than one Transfer-Encoding")
			}
			te, teSeen = value, true
		case "Connection":
			for v := value; v != ""; {
				var t string
				t, v, _ = strings.Cut(v, ",")
				switch t = strings.Trim(t, " \t"); {
				case strings.EqualFold(t, "close"):
					a.close = true
				case strings.EqualFold(t, "keep-alive"):
					keepAlive = true
				}
			}
		case "Trailer":
			for v := value; v != ""; {
				var k string
				k, v, _ = strings.Cut(v, ",")
				if k = strings.Trim(k, " \t"); k != "" {
					k = http.CanonicalHeaderKey(k)
					switch k {
					case "Transfer-Encoding", "Trailer", "Content-Length":
						return bad("bad trailer key " + k)
					}
					a.trailers = append(a.trailers, k)
				}
			}
		}
		a.fields = append(a.fields, headField{name, value})
	}
	if rest != "" {
		return bad("bytes after the head")
	}
	if minor == 0 && !keepAlive {
		a.close = true
	}
	if teSeen {
		if minor == 0 {
			// RFC 9112 6.1: the framing of an HTTP/1.0 message with a
			// Transfer-Encoding is faulty (net/http's client ignores the
			// coding and reads to the close; a proxy must not guess).
			return bad("Transfer-Encoding in an HTTP/1.0 answer")
		}
		if a.contentLength >= 0 {
			return bad("Content-Length with Transfer-Encoding")
		}
		if !strings.EqualFold(te, "chunked") {
			return bad("transfer coding not supported")
		}
		a.chunked = true
	}
	a.noBody = isHead || a.status < 200 || a.status == http.StatusNoContent || a.status == http.StatusNotModified
	if !a.noBody && !a.chunked && a.contentLength < 0 {
		a.close = true // the body ends with the connection
	}
	return nil
}

// cutLine cuts the first line of s, without its LF or CRLF.
func cutLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// answerBody reads an answer body as its head frames it: a length, chunks
// (then the trailer section, into trailer), or up to the connection's end.
// It lives in the upConn, so a plain answer allocates nothing for it.
type answerBody struct {
	br        *bufio.Reader
	remaining int64     // of a Content-Length body
	untilEOF  bool      // the body ends with the connection
	chunked   io.Reader // the decoder of a chunked body, nil otherwise
	trailer   http.Header
	done      bool
}

func (b *answerBody) reset(br *bufio.Reader, a *upAnswer) {
	*b = answerBody{br: br}
	switch {
	case a.noBody:
		b.done = true
	case a.chunked:
		b.chunked = httputil.NewChunkedReader(br)
	case a.contentLength >= 0:
		b.remaining = a.contentLength
		b.done = b.remaining == 0
	default:
		b.untilEOF = true
	}
}

func (b *answerBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	switch {
	case b.chunked != nil:
		n, err := b.chunked.Read(p)
		if err == io.EOF {
			if err = b.readTrailer(); err == nil {
				b.done, err = true, io.EOF
			}
		}
		return n, err
	case b.untilEOF:
		return b.br.Read(p)
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		b.done, err = true, io.EOF
	} else if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readTrailer reads the trailer section after the last chunk.
func (b *answerBody) readTrailer() error {
	size := 0
	for {
		line, err := b.br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if size += len(line); size > maxAnswerHead {
			return errors.Join(errBadAnswer, errors.New("trailer section too large"))
		}
		s, _ := cutLine(string(line))
		if s == "" {
			return nil
		}
		name, value, ok := strings.Cut(s, ":")
		value = strings.Trim(value, " \t")
		if !ok || name == "" || !isToken(name) || !validValue(value) || strings.IndexByte(s, '\r') >= 0 {
			return errors.Join(errBadAnswer, errors.New("bad trailer line"))
		}
		if b.trailer == nil {
			b.trailer = make(http.Header)
		}
		b.trailer.Add(name, value)
	}
}

// copyBufs holds the buffers answer bodies are copied through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyBody copies an answer body to w, flushing after every read when the
// answer streams. A read error is the function's; a write error the
// client's.
func copyBody(w http.ResponseWriter, body io.Reader, streaming bool) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var rc *http.ResponseController
	if streaming {
		rc = http.NewResponseController(w)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			if streaming {
				if err := rc.Flush(); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}
