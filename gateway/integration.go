package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrInvalidResponse is wrapped by every error about an event function's
// answer not being a valid integration response; the client then gets the
// platform's 403 body and Record.Err names the problem.
var ErrInvalidResponse = errors.New("invalid integration response")

// integration is a parsed integration response (scf-behaviour 5.2).
type integration struct {
	status int
	header http.Header
	body   []byte
}

// Headers a function's integration response cannot set: the transfer
// framing is the gateway's, and the X-Scf-* answer headers report what the
// gateway did.
var reservedResponseHeaders = map[string]bool{
	"Content-Length":    true,
	"Transfer-Encoding": true,
	"Connection":        true,
	hdrVersion:          true,
	hdrRoute:            true,
	hdrRequestID:        true,
	hdrAPIRequestID:     true,
	hdrStatus:           true,
}

// parseIntegration reads {isBase64Encoded, statusCode, headers, body}
// strictly: JSON types must be exactly those the platform documents, and
// keys match case-sensitively.
func parseIntegration(b []byte) (*integration, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keeps 200 and 200.5 apart
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return nil, fmt.Errorf("%w: the function's answer is not a json object", ErrInvalidResponse)
	}
	resp := &integration{}

	sc, ok := raw["statusCode"].(json.Number)
	if !ok {
		return nil, fmt.Errorf("%w: statusCode is %s, want an integer", ErrInvalidResponse, describe(raw["statusCode"]))
	}
	code, err := strconv.Atoi(string(sc))
	if err != nil || code < 200 || code > 599 {
		return nil, fmt.Errorf("%w: statusCode %s is not an integer from 200 to 599", ErrInvalidResponse, sc)
	}
	resp.status = code

	isBase64 := false
	if v := raw["isBase64Encoded"]; v != nil {
		if isBase64, ok = v.(bool); !ok {
			return nil, fmt.Errorf("%w: isBase64Encoded is %s, want a boolean", ErrInvalidResponse, describe(v))
		}
	}

	if v := raw["headers"]; v != nil {
		hs, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: headers is %s, want an object", ErrInvalidResponse, describe(v))
		}
		if resp.header, err = parseHeaders(hs); err != nil {
			return nil, err
		}
	}

	if v := raw["body"]; v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: body is %s, want a string", ErrInvalidResponse, describe(v))
		}
		if isBase64 {
			if resp.body, err = base64.StdEncoding.DecodeString(s); err != nil {
				return nil, fmt.Errorf("%w: isBase64Encoded is true but body is not base64: %w", ErrInvalidResponse, err)
			}
		} else {
			resp.body = []byte(s)
		}
	}
	return resp, nil
}

// parseHeaders reads a map of header name to a string or a list of strings.
func parseHeaders(hs map[string]any) (http.Header, error) {
	h := make(http.Header, len(hs))
	for k, v := range hs {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("%w: header name %q is not a valid token", ErrInvalidResponse, k)
		}
		name := http.CanonicalHeaderKey(k)
		switch v := v.(type) {
		case string:
			if !validHeaderValue(v) {
				return nil, fmt.Errorf("%w: header %s holds a control character", ErrInvalidResponse, name)
			}
			h[name] = append(h[name], v)
		case []any:
			if name == "Content-Type" {
				return nil, fmt.Errorf("%w: Content-Type cannot be a list", ErrInvalidResponse)
			}
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%w: header %s holds %s, want strings", ErrInvalidResponse, name, describe(e))
				}
				if !validHeaderValue(s) {
					return nil, fmt.Errorf("%w: header %s holds a control character", ErrInvalidResponse, name)
				}
				h[name] = append(h[name], s)
			}
		default:
			return nil, fmt.Errorf("%w: header %s is %s, want a string or a list of strings", ErrInvalidResponse, name, describe(v))
		}
	}
	return h, nil
}

// describe names a decoded JSON value's type for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing or null"
	case json.Number:
		return "the number " + string(v)
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

// write sends the response. Headers the gateway owns are skipped.
func (r *integration) write(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range r.header {
		if !reservedResponseHeaders[k] {
			h[k] = vs
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body) // the client may be gone; nothing left to tell it
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func validHeaderValue(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}

// passThrough answers for an API whose integrated response is off: API
// Gateway returns the function's return value as the body with status 200
// (scf-behaviour 5.2, "JSON only"), with the API's response type, whose
// default is JSON. A returned string is sent as it is, not as a quoted JSON
// string, because that is what a handler returning "hello" or
// json.dumps(...) means; it is application/json when its text is JSON and
// text/plain otherwise. Any other JSON value is sent as its JSON text. An
// answer that is no JSON at all (a custom runtime posts raw text, as
// Tencent's bash example does) is sent as it came, as text/plain.
func passThrough(w http.ResponseWriter, out []byte) {
	body, ctype := bytes.TrimSpace(out), "application/json"
	var s string
	switch {
	case len(body) > 0 && body[0] == '"' && json.Unmarshal(body, &s) == nil:
		body = []byte(s)
		if !json.Valid(body) {
			ctype = "text/plain; charset=utf-8"
		}
	case len(body) > 0 && !json.Valid(body):
		body, ctype = out, "text/plain; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client may be gone; nothing left to tell it
}
