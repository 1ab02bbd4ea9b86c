package gateway

import (
	"errors"
	"net/textproto"
	"net/url"
	"strings"
)

// The request-head parser of the gateway's server (see Server). It is
// strict where leniency lets two parsers disagree about where a request
// ends (request smuggling): lines end in CRLF only, no obs-fold, no space
// before a colon, one Content-Length of digits only, never Content-Length
// with Transfer-Encoding, chunked as the only transfer coding. What it does
// not serve itself (upgrades, request trailers, absolute-form targets,
// other HTTP versions) it marks for the net/http fallback.

// Errors of parseHead; each answers with its status and closes.
var (
	errMalformed   = errors.New("malformed request head")          // 400
	errHeadTooBig  = errors.New("request header fields too large") // 431
	errUnsupportTE = errors.New("transfer coding not implemented") // 501
	errExpectation = errors.New("expectation not supported")       // 417
)

// headField is one header line: canonical name and trimmed value, both
// substrings of the head (or the name canonicalised anew when the client
// sent it in another case).
type headField struct{ name, value string }

// reqHead is a parsed request head.
type reqHead struct {
	method, target string
	minor          int // HTTP/1.<minor>, 0 or 1
	fields         []headField
	host           string
	hosts          int
	contentLength  int64 // -1 when none was sent
	chunked        bool
	close          bool // the connection ends after this request
	keepAlive      bool // Connection: keep-alive (HTTP/1.0)
	expectContinue bool
	// handoff says the request goes to net/http: an upgrade, request
	// trailers, a target not in origin form, or an HTTP version other than
	// 1.0 and 1.1.
	handoff bool
}

func (h *reqHead) reset() {
	*h = reqHead{fields: h.fields[:0], contentLength: -1}
}

// parseHead parses raw, a whole head whose lines end in CRLF, the last one
// empty. fields keeps its capacity across calls.
func parseHead(raw string, h *reqHead) error {
	h.reset()
	line, rest, ok := strings.Cut(raw, "\r\n")
	if !ok {
		return errMalformed
	}
	if err := h.parseRequestLine(line); err != nil {
		return err
	}
	var te, expect string
	teSeen := false
	for {
		line, rest, ok = strings.Cut(rest, "\r\n")
		if !ok {
			return errMalformed
		}
		if line == "" {
			break
		}
		if strings.IndexByte(line, '\n') >= 0 || strings.IndexByte(line, '\r') >= 0 {
			return errMalformed // a bare LF or CR inside the head
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || !isToken(name) { // also obs-fold and "Name :"
			return errMalformed
		}
		value = strings.Trim(value, " \t")
		if !validValue(value) {
			return errMalformed
		}
		if !isCanonical(name) {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		switch name {
		case "Host":
			h.host = value
			h.hosts++
		case "Content-Length":
			if h.contentLength >= 0 {
				return errMalformed // duplicates, even equal ones
			}
			n, ok := parseLength(value)
			if !ok {
				return errMalformed
			}
			h.contentLength = n
		case "Transfer-Encoding":
			if teSeen {
				return errMalformed
			}
			te, teSeen = value, true
		case "Connection":
			h.connection(value)
		case "Expect":
			expect = value
		case "Upgrade", "Trailer":
			h.handoff = true
		}
		h.fields = append(h.fields, headField{name, value})
	}
	if rest != "" {
		return errMalformed
	}
	if h.handoff {
		return nil // net/http judges the rest
	}
	if h.minor == 1 && h.hosts != 1 || h.hosts > 1 {
		return errMalformed // HTTP/1.1 needs exactly one Host
	}
	if teSeen {
		if h.contentLength >= 0 || h.minor == 0 {
			return errMalformed // CL with TE: which one ends the body?
		}
		if !strings.EqualFold(te, "chunked") {
			return errUnsupportTE
		}
		h.chunked = true
	}
	if expect != "" && h.minor == 1 {
		if !strings.EqualFold(expect, "100-continue") {
			return errExpectation
		}
		h.expectContinue = true
	}
	if h.minor == 0 && !h.keepAlive {
		h.close = true
	}
	return nil
}

// parseRequestLine parses "METHOD SP target SP HTTP/1.x".
func (h *reqHead) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || !isToken(method) || target == "" {
		return errMalformed
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f {
			return errMalformed
		}
	}
	h.method, h.target = method, target
	switch proto {
	case "HTTP/1.1":
		h.minor = 1
	case "HTTP/1.0":
		h.minor = 0
	default:
		if !strings.HasPrefix(proto, "HTTP/") || strings.IndexByte(proto, ' ') >= 0 {
			return errMalformed
		}
		h.handoff = true // HTTP/2 prior knowledge ("PRI * HTTP/2.0") and the like
	}
	if target[0] != '/' {
		h.handoff = true // absolute-form, "*"
	}
	return nil
}

// connection applies the tokens of a Connection header.
func (h *reqHead) connection(v string) {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		switch t = strings.Trim(t, " \t"); {
		case strings.EqualFold(t, "close"):
			h.close = true
		case strings.EqualFold(t, "keep-alive"):
			h.keepAlive = true
		case strings.EqualFold(t, "upgrade"):
			h.handoff = true
		}
	}
}

// parseLength parses a Content-Length: digits only, at most 18 of them.
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validValue reports whether a field value holds no control character but
// HTAB (obs-text, bytes >= 0x80, is allowed).
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// isCanonical reports whether the token name is in canonical form already
// (upper case after a start or '-', lower case elsewhere), so it can be
// used without a copy.
func isCanonical(name string) bool {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// reqParts is what newRequest allocates for a request besides its header
// map: its URL and room for the values of up to inlineFields fields.
type reqParts struct {
	u    url.URL
	vals [inlineFields]string
}

const inlineFields = 12

// requestURL parses an origin-form target. A plain path without escapes
// is cut in place; anything else goes through url.ParseRequestURI, so the
// result is what net/http gives.
func requestURL(target string) (*url.URL, error) {
	return requestURLInto(target, new(url.URL))
}

// requestURLInto is requestURL filling u when the target is plain.
func requestURLInto(target string, u *url.URL) (*url.URL, error) {
	path, query, hasQuery := target, "", false
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c == '?' {
			path, query, hasQuery = target[:i], target[i+1:], true
			break
		}
		if !plainPathChar[c] {
			return url.ParseRequestURI(target)
		}
	}
	if hasQuery && query == "" {
		return url.ParseRequestURI(target) // ForceQuery
	}
	*u = url.URL{Path: path, RawQuery: query}
	return u, nil
}

// plainPathChar are the bytes a path keeps as they are when escaped.
var plainPathChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "-_.~/" {
		t[c] = true
	}
	return t
}()
