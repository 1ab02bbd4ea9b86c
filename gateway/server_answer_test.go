package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServerAnswerHeads: the head of an answer as net/http would write it,
// where a user would notice a difference.
func TestServerAnswerHeads(t *testing.T) {
	wroteTooMuch := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/sorted", func(w http.ResponseWriter, r *http.Request) {
		for _, k := range []string{"Zeta", "Alpha", "Mid", "Beta"} {
			w.Header().Set(k, "1")
		}
		io.WriteString(w, "x")
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/notmodified", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Etag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("/toomuch", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		_, err := io.WriteString(w, "abcdef")
		wroteTooMuch <- err
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		io.WriteString(w, "<html>not really gzip")
	})
	mux.HandleFunc("/keepalive", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "keep-alive")
		io.WriteString(w, "x")
	})
	addr, _ := startServer(t, mux)
	for _, tc := range []struct {
		name, req string
		want      []string // substrings, in order
		not       []string
	}{
		{"fields sorted, date, sniffed type, length", "GET /sorted HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"Alpha: 1\r\nBeta: 1\r\nMid: 1\r\nZeta: 1\r\nDate: ", "Content-Type: text/plain; charset=utf-8\r\n", "Content-Length: 1\r\n"}, []string{"Server:"}},
		{"HEAD: length, no body", "HEAD /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"200 OK", "Content-Length: 5\r\n"}, []string{"hello"}},
		{"204: no length, no body", "GET /nocontent HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"204 No Content"}, []string{"Content-Length", "Transfer-Encoding"}},
		{"304: no length, no type", "GET /notmodified HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"304 Not Modified", `Etag: "v1"`}, []string{"Content-Length", "Content-Type", "Transfer-Encoding"}},
		{"more than Content-Length", "GET /toomuch HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"Content-Length: 3\r\n"}, []string{"abcdef"}},
		{"content-encoding: no sniffing", "GET /gzip HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"Content-Encoding: gzip\r\n"}, []string{"Content-Type"}},
		{"handler's Connection header does not override close", "GET /keepalive HTTP/1.0\r\n\r\n",
			[]string{"Connection: close\r\n"}, []string{"keep-alive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exchangeRaw(t, addr, tc.req)
			wantInOrder(t, got, tc.want)
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("answer holds %q:\n%s", n, got)
				}
			}
		})
	}
	if err := <-wroteTooMuch; !errors.Is(err, http.ErrContentLength) {
		t.Errorf("writing past Content-Length gave %v, want http.ErrContentLength", err)
	}
}

// TestServerConnectionReuse: when the connection carries the next request
// after an answer, and when it closes.
func TestServerConnectionReuse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/unread", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "unread") })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "closing")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic(http.ErrAbortHandler)
	})
	addr, _ := startServer(t, mux)
	small := "POST /unread HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + strings.Repeat("a", 1000)
	big := "POST /unread HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n" + strings.Repeat("a", 1000)
	next := "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"
	for _, tc := range []struct {
		name, first string
		firstBody   string // "" when the first answer must not come
		closeHeader bool   // the first answer says Connection: close
		nextServed  bool
	}{
		{"small unread body is skipped", small, "unread", false, true},
		{"big unread body closes", big, "unread", true, false},
		{"handler's Connection: close", "GET /close HTTP/1.1\r\nHost: h\r\n\r\n", "closing", true, false},
		{"aborted answer closes", "GET /abort HTTP/1.1\r\nHost: h\r\n\r\n", "", false, false},
		{"pipelined before an abort", next + "GET /abort HTTP/1.1\r\nHost: h\r\n\r\n", "ok", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tc.first)
			br := bufio.NewReader(c)
			res, err := http.ReadResponse(br, nil)
			if tc.firstBody == "" {
				if err == nil {
					t.Fatalf("got an answer %d, want the connection closed", res.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			if string(b) != tc.firstBody || res.Close != tc.closeHeader {
				t.Errorf("first answer %q, close %v; want %q, close %v", b, res.Close, tc.firstBody, tc.closeHeader)
			}
			io.WriteString(c, next) // may fail on a closed connection; the read below tells
			res, err = http.ReadResponse(br, nil)
			if served := err == nil && res.StatusCode == 200; served != tc.nextServed {
				t.Errorf("next request served = %v (%v), want %v", served, err, tc.nextServed)
			}
		})
	}
}

// TestServerDateHeader: Date is in the format net/http writes.
func TestServerDateHeader(t *testing.T) {
	addr, _ := startServer(t, echoHandler)
	got := exchangeRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if !regexp.MustCompile(`\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n`).MatchString(got) {
		t.Errorf("no Date header in http.TimeFormat:\n%s", got)
	}
}
