package gateway

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadAnswer: answers net/http's client reads the same way come out
// the same (status, framing, keep-alive, body, trailers); hostile framing
// is refused.
func TestReadAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		head      bool // the request was a HEAD
		bad       bool
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", false, false},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", false, false},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nall of it", false, false},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", false, false},
		{"304 with a length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, false},
		{"HEAD with a length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, false},
		{"HEAD without a length", "HTTP/1.1 200 OK\r\n\r\n", true, false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, false},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"odd case names, repeated field", "HTTP/1.1 201 Created\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\ncontent-length: 0\r\n\r\n", false, false},
		{"equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false, false},

		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false, true},
		{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, true},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false, true},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", false, true},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", false, true},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", false, true},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", false, true},
		{"not http", "ICY 200 OK\r\n\r\n", false, true},
		{"control byte", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", false, true},
		{"chunked in http/1.0 (faulty framing, RFC 9112 6.1)", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, true},
		{"bad trailer key", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a upAnswer
			br := bufio.NewReader(strings.NewReader(tc.raw))
			_, err := readAnswerHead(br, &a, nil, tc.head)
			if tc.bad {
				if !errors.Is(err, errBadAnswer) {
					t.Fatalf("err = %v, want errBadAnswer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var body answerBody
			body.reset(br, &a)
			got, err := io.ReadAll(&body)
			if err != nil {
				t.Fatal(err)
			}
			method := "GET"
			if tc.head {
				method = "HEAD"
			}
			res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), &http.Request{Method: method})
			if err != nil {
				t.Fatalf("net/http refuses it: %v", err)
			}
			want, _ := io.ReadAll(res.Body)
			if a.status != res.StatusCode || a.close != res.Close || string(got) != string(want) {
				t.Errorf("status %d close %v body %q; net/http: %d %v %q", a.status, a.close, got, res.StatusCode, res.Close, want)
			}
			for k, vv := range res.Header {
				if k == "Content-Length" || k == "Transfer-Encoding" {
					continue
				}
				var ours []string
				for _, f := range a.fields {
					if f.name == k {
						ours = append(ours, f.value)
					}
				}
				if strings.Join(ours, "|") != strings.Join(vv, "|") {
					t.Errorf("header %s = %q, net/http %q", k, ours, vv)
				}
			}
			if res.Trailer.Get("X-Sum") != body.trailer.Get("X-Sum") {
				t.Errorf("trailer %v, net/http %v", body.trailer, res.Trailer)
			}
		})
	}
}

// FuzzParseAnswerHead: the answer parser never panics, and an answer it
// accepts is one net/http's client reads with the same status, framing
// and keep-alive, so the gateway never reads a kept connection out of step
// with what a standard client would.
func FuzzParseAnswerHead(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", false)
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-A\r\n\r\n", false)
	f.Add("HTTP/1.0 204 No Content\nConnection: keep-alive\n\n", true)
	var a upAnswer
	f.Fuzz(func(t *testing.T, raw string, isHead bool) {
		if err := parseAnswerHead(raw, &a, isHead); err != nil {
			return
		}
		if a.chunked && a.contentLength >= 0 {
			t.Fatal("accepted both chunked and a Content-Length")
		}
		method := "GET"
		if isHead {
			method = "HEAD"
		}
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), &http.Request{Method: method})
		if err != nil {
			if a.status < 200 || a.status > 999 {
				return // 1xx heads are skipped; net/http refuses status codes over 999
			}
			t.Fatalf("net/http rejects what parseAnswerHead accepts: %v", err)
		}
		chunked := len(res.TransferEncoding) > 0
		if res.StatusCode != a.status || a.noBody && res.ContentLength > 0 && !isHead || !a.noBody && chunked != a.chunked ||
			!a.noBody && !chunked && res.ContentLength != a.contentLength || res.Close != a.close {
			t.Fatalf("net/http reads status %d cl %d chunked %v close %v; parseAnswerHead %d cl %d chunked %v close %v noBody %v",
				res.StatusCode, res.ContentLength, chunked, res.Close, a.status, a.contentLength, a.chunked, a.close, a.noBody)
		}
	})
}
