package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestServerFraming: request framing that two parsers could read
// differently (request smuggling). Each request ends with a pipelined
// "GET /smuggled": it is served only where the first request's end is not
// in doubt.
func TestServerFraming(t *testing.T) {
	addr, _ := startServer(t, echoHandler)
	const next = "GET /smuggled HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	post := "POST /p HTTP/1.1\r\nHost: h\r\n"
	for _, tc := range []struct {
		name, req string
		want      []string // substrings of the answer, in order
		not       string
	}{
		{"TE Chunked", post + "Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"TE chunked with spaces and tabs", post + "Transfer-Encoding: \t chunked \t\r\n\r\n2\r\nok\r\n0\r\n\r\n" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"TE chunked, chunked", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + next, []string{"501 Not Implemented"}, "smuggled"},
		{"TE identity", post + "Transfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nok" + next, []string{"400 Bad Request"}, "smuggled"},
		{"TE identity alone", post + "Transfer-Encoding: identity\r\n\r\n" + next, []string{"501 Not Implemented"}, "smuggled"},
		{"TE with a vertical tab", post + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"TE name with a space", post + "Transfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\nok" + next, []string{"400 Bad Request"}, "smuggled"},
		{"TE as an empty header then chunked", post + "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"CL with leading zeros", post + "Content-Length: 002\r\n\r\nok" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"CL negative", post + "Content-Length: -1\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"CL with a space inside", post + "Content-Length: 1 2\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"CL that overflows int64", post + "Content-Length: 99999999999999999999\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"CL of 19 digits", post + "Content-Length: 9223372036854775807\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"CL in hex", post + "Content-Length: 0x2\r\n\r\nok" + next, []string{"400 Bad Request"}, "smuggled"},
		{"chunk size overflow", post + "Transfer-Encoding: chunked\r\n\r\n10000000000000002\r\nok\r\n0\r\n\r\n" + next, []string{"499"}, "smuggled"},
		{"chunk size with a sign", post + "Transfer-Encoding: chunked\r\n\r\n+2\r\nok\r\n0\r\n\r\n" + next, []string{"499"}, "smuggled"},
		{"chunk extension", post + "Transfer-Encoding: chunked\r\n\r\n2;a=b;c=\"d\"\r\nok\r\n0;x\r\n\r\n" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"no CRLF after chunk data", post + "Transfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n" + next, []string{"499"}, "smuggled"},
		{"bare LF after chunk size", post + "Transfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n" + next, []string{"499"}, "smuggled"},
		{"trailers after the last chunk", post + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"trailer line with a bare LF", post + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\n\r\n" + next, []string{"499"}, "smuggled"},
		{"pipelined after a length body", post + "Content-Length: 2\r\n\r\nok" + next, []string{`body="ok"`, "GET /smuggled"}, ""},
		{"HTTP/1.0 keep-alive, then more", "POST /p HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok" + next,
			[]string{"Connection: keep-alive", `body="ok"`, "GET /smuggled"}, ""},
		{"HTTP/1.0 without keep-alive closes", "POST /p HTTP/1.0\r\nContent-Length: 2\r\n\r\nok" + next, []string{`body="ok"`}, "smuggled"},
		{"Connection: close, keep-alive", post + "Connection: close, keep-alive\r\nContent-Length: 2\r\n\r\nok" + next,
			[]string{"Connection: close", `body="ok"`}, "smuggled"},
		{"HTTP/1.0 Connection: keep-alive, close", "GET /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n" + next,
			[]string{"Connection: close", "GET /x"}, "smuggled"},
		{"NUL in the target", "GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"HTTP/1.1 lowercase version", "GET /x http/1.1\r\nHost: h\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
		{"two spaces in the request line", "GET  /x HTTP/1.1\r\nHost: h\r\n\r\n" + next, []string{"400 Bad Request"}, "smuggled"},
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

// TestServerRefusedContinue: a client told nothing after Expect:
// 100-continue may send its body all the same; the connection closes, so
// the body is never read as the next request.
func TestServerRefusedContinue(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/refuse", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusRequestEntityTooLarge)
	})
	addr, _ := startServer(t, mux)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "POST /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(res.Body)
	if res.StatusCode != 413 || !res.Close {
		t.Errorf("answer %d, close %v; want 413 with Connection: close", res.StatusCode, res.Close)
	}
	// The body, shaped as a request.
	io.WriteString(c, "GET /smuggled HTTP/1.1\r\nHost: h\r\nX: xx\r\n\r\n")
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("after the refusal the server sent %q", rest)
	}
}

// TestServerShutdownClosesHandedOff: connections handed to net/http and
// hijacked there (websockets) end with the server, and no goroutine of the
// server outlives Shutdown.
func TestServerShutdownClosesHandedOff(t *testing.T) {
	before := runtime.NumGoroutine()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			io.WriteString(w, "plain")
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString(line)
			brw.Flush()
		}
	})}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	ws, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(ws, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping\n")
	br := bufio.NewReader(ws)
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade: %v, %v", res, err)
	}
	if line, _ := br.ReadString('\n'); line != "ping\n" {
		t.Fatalf("echo %q", line)
	}
	if got := exchangeRaw(t, l.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasSuffix(got, "plain") {
		t.Fatalf("plain request: %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve = %v", err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("the upgraded connection: read %q, %v; want it closed by Shutdown", rest, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Shutdown:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
