package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer runs h behind a Server on loopback and returns its address.
func startServer(t testing.TB, h http.Handler, opts ...func(*Server)) (string, *Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h}
	for _, o := range opts {
		o(s)
	}
	serveUntilCleanup(t, func() error { return s.Serve(l) }, s.Close)
	return l.Addr().String(), s
}

// serveUntilCleanup runs serve until the test's cleanup calls stop, and
// checks serve then returns as a closed server's does.
func serveUntilCleanup(t testing.TB, serve, stop func() error) {
	done := make(chan error, 1)
	go func() { done <- serve() }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != http.ErrServerClosed {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
}

// echoHandler answers with the request as the handler saw it.
var echoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "body: "+err.Error(), 499)
		return
	}
	fmt.Fprintf(w, "%s %s q=%s host=%s cl=%d te=%v body=%q x=%q", r.Method, r.URL.Path, r.URL.RawQuery, r.Host,
		r.ContentLength, r.TransferEncoding, b, r.Header.Values("X-A"))
})

// exchangeRaw writes req on a fresh connection and returns everything the
// server sends until it closes the connection or 2 s pass.
func exchangeRaw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestServerRequests(t *testing.T) {
	addr, _ := startServer(t, echoHandler)
	for _, tc := range []struct {
		name, req string
		want      []string // substrings of the answer, in order
		not       string   // a substring the answer must not hold
	}{
		{"get, close", "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nConnection: close\r\n\r\n",
			[]string{"HTTP/1.1 200 OK\r\n", "Connection: close\r\n", `GET /a/b q=x=1 host=h cl=0 te=[] body="" x=["1" "2"]`}, ""},
		{"content-length body", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
			[]string{"200 OK", `cl=5 te=[] body="hello"`}, ""},
		{"chunked body with trailer section", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
			[]string{"200 OK", `cl=-1 te=[chunked] body="abcde"`}, ""},
		{"escaped path", "GET /a%20b/%2F HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"GET /a b// q="}, ""},
		{"pipelined", "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			[]string{"GET /1 ", "GET /2 ", "GET /3 "}, ""},
		{"leading empty line", "\r\nGET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []string{"200 OK", "GET /x "}, ""},
		{"http/1.0 closes", "GET /x HTTP/1.0\r\n\r\n", []string{"HTTP/1.1 200 OK\r\n", "Connection: close\r\n", "GET /x "}, ""},
		{"http/1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.0\r\n\r\n",
			[]string{"Connection: keep-alive\r\n", "GET /x ", "Connection: close\r\n", "GET /y "}, ""},
		{"head has no body", "HEAD /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []string{"200 OK", "Content-Length: "}, "HEAD /x"},
		{"expect 100-continue", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nok",
			[]string{"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK", `body="ok"`}, ""},
		{"other expectation", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: tea\r\n\r\nok", []string{"417 Expectation Failed"}, "200 OK"},
		{"bad request line", "GET /x\r\nHost: h\r\n\r\n", []string{"400 Bad Request", "Connection: close"}, "200 OK"},
		{"no host", "GET /x HTTP/1.1\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"two hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"bare LF", "GET /x HTTP/1.1\nHost: h\n\n", []string{"400 Bad Request"}, "200 OK"},
		{"bare LF in a field", "GET /x HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"obs-fold", "GET /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"space before colon", "GET /x HTTP/1.1\r\nHost : h\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"control byte in value", "GET /x HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"duplicate content-length", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", []string{"400 Bad Request"}, "200 OK"},
		{"content-length list", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok", []string{"400 Bad Request"}, "200 OK"},
		{"signed content-length", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nok", []string{"400 Bad Request"}, "200 OK"},
		{"CL and TE (smuggling)", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
			[]string{"400 Bad Request"}, "smuggled"},
		{"TE and CL (smuggling)", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"TE list", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", []string{"501 Not Implemented"}, "200 OK"},
		{"two TE fields", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"TE on HTTP/1.0", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []string{"400 Bad Request"}, "200 OK"},
		{"bad chunk size", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", []string{"499"}, ""},
		{"short body", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc", []string{}, "200 OK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exchangeRaw(t, addr, tc.req)
			wantInOrder(t, got, tc.want)
			if tc.not != "" && strings.Contains(got, tc.not) {
				t.Errorf("answer holds %q:\n%s", tc.not, got)
			}
		})
	}
}

func TestServerHeadTooLarge(t *testing.T) {
	addr, _ := startServer(t, echoHandler, func(s *Server) { s.MaxHeaderBytes = 1024 })
	got := exchangeRaw(t, addr, "GET /x HTTP/1.1\r\nHost: h\r\nX-A: "+strings.Repeat("a", 2000)+"\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 431 ") {
		t.Errorf("answer = %q, want 431", got)
	}
	got = exchangeRaw(t, addr, "GET /"+strings.Repeat("a", 5000)+" HTTP/1.1\r\nHost: h\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 431 ") {
		t.Errorf("long request line: answer = %.60q, want 431", got)
	}
}

// TestServerAnswers: how the handler's writes reach the client.
func TestServerAnswers(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hi") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat("x", 10000)) })
	mux.HandleFunc("/flushed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "b")
	})
	mux.HandleFunc("/cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		w.Header().Set("X-Split", "a\r\nInjected: 1")
		io.WriteString(w, "abc")
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/trailer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "data")
		w.Header().Set("X-Sum", "42")
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	addr, _ := startServer(t, mux)
	for _, tc := range []struct{ path, want string }{
		{"/small", "Content-Type: text/html; charset=utf-8\r\n"},
		{"/small", "Content-Length: 8\r\n"},
		{"/big", "Transfer-Encoding: chunked\r\n"},
		{"/flushed", "\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n"},
		{"/cl", "X-Split: a  Injected: 1\r\n"},
		{"/nocontent", "HTTP/1.1 204 No Content\r\n"},
		{"/trailer", "4\r\ndata\r\n0\r\nX-Sum: 42\r\n\r\n"},
		{"/panic", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := exchangeRaw(t, addr, "GET "+tc.path+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
			if tc.want == "" && got != "" {
				t.Errorf("answer = %q, want none (the connection closes)", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("answer lacks %q:\n%s", tc.want, got)
			}
			if strings.Contains(got, "\r\nInjected:") {
				t.Errorf("a header value split the answer:\n%s", got)
			}
		})
	}
}

// TestServerWorksWithGoClient: keep-alive requests from net/http's client,
// and the hand-off of what the server leaves to net/http.
func TestServerWorksWithGoClient(t *testing.T) {
	addr, _ := startServer(t, echoHandler)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	for i := range 5 {
		res, err := client.Post("http://"+addr+"/x?i="+fmt.Sprint(i), "text/plain", strings.NewReader("body"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := fmt.Sprintf(`POST /x q=i=%d host=%s cl=4 te=[] body="body"`, i, addr); !strings.HasPrefix(string(b), want) {
			t.Errorf("answer = %q, want %q...", b, want)
		}
	}
	// Absolute-form goes to net/http, which serves it all the same.
	got := exchangeRaw(t, addr, "GET http://h/abs HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if !strings.Contains(got, "GET /abs ") {
		t.Errorf("absolute-form answer = %q", got)
	}
}

// TestServerHandsOffUpgrades: an upgrade reaches the handler through
// net/http, which can hijack the connection.
func TestServerHandsOffUpgrades(t *testing.T) {
	addr, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo " + line)
		brw.Flush()
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhello\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade answer %v, %v", res, err)
	}
	if line, _ := br.ReadString('\n'); line != "echo hello\n" {
		t.Errorf("after the upgrade got %q", line)
	}
}

// TestServerSlowClient: a head that trickles in is served; one that stops
// halfway is dropped after the header timeout; an idle connection after
// the idle timeout.
func TestServerSlowClient(t *testing.T) {
	addr, _ := startServer(t, echoHandler, func(s *Server) {
		s.ReadHeaderTimeout = 300 * time.Millisecond
		s.IdleTimeout = 300 * time.Millisecond
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, part := range []string{"GE", "T /slow HTTP/1.1\r", "\nHost: h\r\n", "\r\n"} {
		io.WriteString(c, part)
		time.Sleep(20 * time.Millisecond)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("trickled request: %v, %v", res, err)
	}
	res.Body.Close()
	for _, tc := range []struct{ name, send string }{{"stalled head", "GET /x HTTP/1.1\r\nHo"}, {"idle", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tc.send)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b, err := io.ReadAll(c) // ends when the server closes
			if err != nil || len(b) != 0 {
				t.Errorf("read %q, %v; want the server to close the connection", b, err)
			}
		})
	}
}

// TestServerShutdownWaitsForRequests: Shutdown closes idle connections at
// once, lets a running request finish and answers it with Connection:
// close.
func TestServerShutdownWaitsForRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	addr, s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, "done")
	}))
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	answer := make(chan string, 1)
	go func() { answer <- exchangeRaw(t, addr, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n") }()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(idle); err != nil || len(b) != 0 {
		t.Errorf("idle connection: read %q, %v; want it closed", b, err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a request ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	got := <-answer
	if !strings.Contains(got, "Connection: close\r\n") || !strings.HasSuffix(got, "done") {
		t.Errorf("the running request got %q", got)
	}
}

// wantInOrder fails t unless got holds every string of want, in order.
func wantInOrder(t *testing.T, got string, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(got[at:], w)
		if i < 0 {
			t.Fatalf("answer lacks %q (after byte %d):\n%s", w, at, got)
		}
		at += i + len(w)
	}
}
