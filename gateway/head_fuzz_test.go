package gateway

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseHead: parseHead never panics, what it accepts is well formed,
// and a request it serves itself is one net/http's parser reads the same
// way (method, path, Host, Content-Length), so the two never disagree
// about where a request ends. Seeds are in testdata/fuzz/FuzzParseHead.
func FuzzParseHead(f *testing.F) {
	f.Add("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	f.Add("POST /x?a=b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n")
	f.Add("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
	var h reqHead
	f.Fuzz(func(t *testing.T, raw string) {
		if err := parseHead(raw, &h); err != nil || h.handoff {
			return
		}
		if !isToken(h.method) || h.target == "" || h.target[0] != '/' {
			t.Fatalf("accepted method %q target %q", h.method, h.target)
		}
		if h.chunked && h.contentLength >= 0 {
			t.Fatal("accepted both chunked and a Content-Length")
		}
		for _, fl := range h.fields {
			if !isToken(fl.name) || strings.ContainsAny(fl.value, "\r\n\x00") {
				t.Fatalf("accepted field %q: %q", fl.name, fl.value)
			}
		}
		u, err := requestURL(h.target)
		if err != nil {
			return // the server answers 400
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatalf("net/http rejects what parseHead accepts: %v", err)
		}
		cl := max(h.contentLength, 0)
		if h.chunked {
			cl = -1
		}
		if req.Method != h.method || req.URL.Path != u.Path || req.URL.RawQuery != u.RawQuery || req.Host != h.host || req.ContentLength != cl {
			t.Fatalf("net/http reads %s %q ?%q host %q cl %d; parseHead %s %q ?%q host %q cl %d",
				req.Method, req.URL.Path, req.URL.RawQuery, req.Host, req.ContentLength, h.method, u.Path, u.RawQuery, h.host, cl)
		}
	})
}
