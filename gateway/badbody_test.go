package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMalformedChunkedBody: a request body whose chunked framing is broken
// is the client's error, 400 with API Gateway's JSON error body, not a
// cancelled request (499); on the gateway's own server and on net/http's,
// for event and web functions alike. No function runs.
func TestMalformedChunkedBody(t *testing.T) {
	addr, _, _ := webUpstream(t)
	servers := map[string]func(t *testing.T, g *Gateway) string{
		"own server": func(t *testing.T, g *Gateway) string { a, _ := startServer(t, g); return a },
		"net/http":   func(t *testing.T, g *Gateway) string { return startGateway(t, g).Listener.Addr().String() },
	}
	for name, start := range servers {
		for _, tc := range []struct{ typ, path, chunks string }{
			{TypeEvent, "/release/hello", "zz\r\nok\r\n0\r\n\r\n"},
			{TypeHTTP, "/release/app/x", "zz\r\nok\r\n0\r\n\r\n"},
			{TypeEvent, "/release/hello", "2\r\nokX0\r\n\r\n"}, // no CRLF after the data
		} {
			t.Run(fmt.Sprintf("%s %s %q", name, tc.typ, tc.chunks), func(t *testing.T) {
				b := newOneInstance(addr, tc.typ)
				svcs := webServices()
				if tc.typ == TypeEvent {
					svcs = grayscale()
				}
				conn, err := net.Dial("tcp", start(t, newTestGateway(t, b, svcs, Options{})))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(20 * time.Second)) // a bound, not an assertion
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%s", tc.path, tc.chunks)
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(string(body), `{"errno":400,"error":"Invalid request body: `) {
					t.Errorf("answer %d %s, want 400 with the gateway error body", resp.StatusCode, body)
				} else {
					t.Logf("answer: %s", body)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if n := b.taken.Load(); n != 0 {
					t.Errorf("instances taken: %d, want 0", n)
				}
			})
		}
	}
}

// TestReadFailure: a connection that ends or fails mid-body stays a
// cancelled request (499); a framing error is the client's (400).
func TestReadFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		bad     bool
		scfCode int // when not bad
	}{
		{"cut mid-chunk", io.ErrUnexpectedEOF, false, 499},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false, 499},
		{"closed", fmt.Errorf("read: %w", net.ErrClosed), false, 499},
		{"too large", &http.MaxBytesError{Limit: 6}, false, 406},
		{"chunk length", errors.New("invalid byte in chunk length"), true, 0},
		{"trailer line", errMalformed, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readFailure(tc.err, 6)
			if got := errors.Is(err, errBadBody); got != tc.bad {
				t.Fatalf("readFailure(%v) = %v; bad body %v, want %v", tc.err, err, got, tc.bad)
			}
			if !tc.bad {
				if c := classify(err).Status; c != tc.scfCode {
					t.Errorf("SCF code %d, want %d", c, tc.scfCode)
				}
			}
		})
	}
}
