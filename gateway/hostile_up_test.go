package gateway

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawUpstream is a web function that answers each request with the bytes
// answer returns for it (n counts requests over all connections, from 0);
// hangUp closes the connection after them.
func rawUpstream(t *testing.T, answer func(n int, r *http.Request) (raw string, hangUp bool)) (addr string, dials *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dials = new(atomic.Int64)
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body)) // for answer to read
					raw, hangUp := answer(int(n.Add(1)-1), r)
					if _, err := io.WriteString(c, raw); err != nil || hangUp {
						return
					}
				}
			})
		}
	})
	return l.Addr().String(), dials
}

// gatewayServer serves a gateway whose web function W is at upAddr behind
// the gateway's own Server, and returns the server's address.
func gatewayServer(t *testing.T, upAddr string, opts ...func(*Server)) (string, *Server) {
	t.Helper()
	g := newTestGateway(t, webBackend(upAddr), webServices(), Options{})
	return startServer(t, g, opts...)
}

// getRaw sends one request on c and reads its answer whole.
func getRaw(t *testing.T, br *bufio.Reader, c net.Conn, req string) (*http.Response, string, error) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return nil, "", err
	}
	method, _, _ := strings.Cut(req, " ")
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(res.Body)
	return res, string(b), err
}

// TestHostileUpstreamAnswers: a web function's answer the gateway must not
// pass on as it is.
func TestHostileUpstreamAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		method       string
		status       int    // 0: the answer must be aborted (no whole answer)
		not          string // a header or body part the client must not see
	}{
		{"status 0", "HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"status 99", "HTTP/1.1 99 Low\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"status 1000", "HTTP/1.1 1000 High\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"status 200abc", "HTTP/1.1 200abc\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"CR in a value", "HTTP/1.1 200 OK\r\nX-A: a\rInjected: 1\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"NUL in a value", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"LF in a name", "HTTP/1.1 200 OK\r\nX-A\nInjected: 1\r\nContent-Length: 2\r\n\r\nok", "GET", 502, "Injected"},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "GET", 502, ""},
		{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "GET", 502, ""},
		{"chunked in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n2\r\nok\r\n0\r\n\r\n", "GET", 502, ""},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", "GET", 502, ""},
		{"unasked 101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", "GET", 502, "Upgrade"},
		{"too many 1xx", strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 50) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"huge head", "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("a", maxAnswerHead) + "\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
		{"head without end", "HTTP/1.1 200 OK\r\nX-A: 1\r\n", "GET", 502, ""},
		{"Connection-named headers dropped", "HTTP/1.1 200 OK\r\nConnection: X-Hop, Keep-Alive\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "X-Hop"},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", "GET", 0, ""},
		{"chunked body cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", "GET", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := rawUpstream(t, func(int, *http.Request) (string, bool) { return tc.answer, true })
			addr, _ := gatewayServer(t, up)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, body, err := getRaw(t, bufio.NewReader(c), c, tc.method+" /release/app/x HTTP/1.1\r\nHost: h\r\n\r\n")
			if tc.status == 0 {
				if err == nil {
					t.Fatalf("got a whole answer %d %q, want it aborted", res.StatusCode, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Errorf("status %d (%q), want %d", res.StatusCode, body, tc.status)
			}
			if tc.not != "" {
				var sb strings.Builder
				_ = res.Header.Write(&sb)
				if strings.Contains(sb.String()+body, tc.not) {
					t.Errorf("answer holds %q:\n%s\n%s", tc.not, sb.String(), body)
				}
			}
		})
	}
}

// TestHostileUpstreamLeftovers: bytes a function sends past the end of its
// answer (a body longer than its Content-Length, a body to HEAD) must not
// become the answer to the next request on the kept connection, which may
// be another client's.
func TestHostileUpstreamLeftovers(t *testing.T) {
	const smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
	for _, tc := range []struct{ name, method, first string }{
		{"body past Content-Length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + smuggled},
		{"body to HEAD", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + smuggled},
		{"body to 204", "GET", "HTTP/1.1 204 No Content\r\n\r\nok" + smuggled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := rawUpstream(t, func(n int, r *http.Request) (string, bool) {
				if n == 0 {
					return tc.first, false
				}
				return "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal", false
			})
			addr, _ := gatewayServer(t, up)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			if _, _, err := getRaw(t, br, c, tc.method+" /release/app/1 HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			// Let the leftovers arrive before the next request goes out.
			time.Sleep(50 * time.Millisecond)
			_, body, err := getRaw(t, br, c, "GET /release/app/2 HTTP/1.1\r\nHost: h\r\n\r\n")
			if err != nil || body != "real" {
				t.Errorf("second answer %q, %v; want the function's own answer to it", body, err)
			}
		})
	}
}

// TestClientThatNeverReads: a client that stops reading its answer holds
// the function's instance no longer than the function's timeout.
func TestClientThatNeverReads(t *testing.T) {
	chunk := strings.Repeat("x", 1<<20)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n")
		for range 64 {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	}()
	released := make(chan error, 1)
	b := webBackend(l.Addr().String())
	serve := b.ServeFn
	b.ServeFn = func(ctx context.Context, tg Target, id string, fn func(context.Context, string) error) error {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond) // the function's timeout
		defer cancel()
		err := serve(ctx, tg, id, fn)
		released <- err
		return err
	}
	g := newTestGateway(t, b, webServices(), Options{})
	addr, _ := startServer(t, g)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /release/app/big HTTP/1.1\r\nHost: h\r\n\r\n")
	select {
	case <-released:
	case <-time.After(20 * time.Second):
		t.Fatal("the instance is still held 20 s after the function's 300 ms timeout")
	}
}

// TestUpstreamIdleConnectionKeepsNoBigHead: a kept connection to a
// function does not hold on to a big answer head it once read.
func TestUpstreamIdleConnectionKeepsNoBigHead(t *testing.T) {
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
	for range 20000 {
		head.WriteString("X-Field: " + strings.Repeat("v", 30) + "\r\n")
	}
	up, _ := rawUpstream(t, func(int, *http.Request) (string, bool) { return head.String() + "\r\nok", false })
	b := webBackend(up)
	g := newTestGateway(t, b, webServices(), Options{})
	addr, _ := startServer(t, g)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, body, err := getRaw(t, bufio.NewReader(c), c, "GET /release/app/x HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil || body != "ok" {
		t.Fatalf("answer %q, %v", body, err)
	}
	// The connection goes back to the idle list as its answer ends, which
	// the client can see first: wait for it, for up to 10 s.
	u := g.upstreams
	var uc *upConn
	for deadline := time.Now().Add(10 * time.Second); uc == nil; time.Sleep(10 * time.Millisecond) {
		u.mu.Lock()
		if idle := u.idle[up]; len(idle) == 1 {
			uc = idle[0]
		}
		u.mu.Unlock()
		if uc == nil && time.Now().After(deadline) {
			t.Fatal("no idle connection to the function after 10 s, want 1")
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if cap(uc.head) > maxKeptHead || cap(uc.ans.fields) > maxKeptFields || len(uc.ans.fields) > 0 {
		t.Errorf("the idle connection keeps a head of %d bytes room and %d fields (%d room)", cap(uc.head), len(uc.ans.fields), cap(uc.ans.fields))
	}
}
