package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// timeoutBackend serves web requests on addr under a deadline of d, as the
// runtime's manager does, and answers the platform's timeout error when
// the deadline ended the call.
func timeoutBackend(addr string, d time.Duration) *fakeBackend {
	be := webBackend(addr)
	be.ServeFn = func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
		ictx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		err := fn(ictx, addr)
		if err != nil && ctx.Err() == nil && ictx.Err() != nil {
			return scferr.Timeout(1)
		}
		return err
	}
	return be
}

// TestWebDeadlineCutsTheExchange: on both servers, a web function past its
// deadline is cut, whether it has not answered yet (the client gets the
// platform's timeout error) or stopped halfway through a streamed answer
// (the answer is aborted); the gateway never waits for the function.
func TestWebDeadlineCutsTheExchange(t *testing.T) {
	for _, srv := range bothServers {
		for _, tc := range []struct {
			name    string
			partial string // what the function sends before it hangs
		}{
			{"before the answer", ""},
			{"while streaming", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"},
		} {
			t.Run(srv.name+"/"+tc.name, func(t *testing.T) {
				fn := hangingUpstream(t, tc.partial)
				recs := make(chan Record, 1)
				g := newTestGateway(t, timeoutBackend(fn, 100*time.Millisecond), webServices(),
					Options{Observe: func(r Record) { recs <- r }})
				addr := srv.serve(t, g)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "GET /release/app/slow HTTP/1.1\r\nHost: h\r\n\r\n")
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				b, err := io.ReadAll(res.Body)
				if tc.partial == "" {
					if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "timed out") {
						t.Errorf("answer %d %q, want the platform's timeout error", res.StatusCode, b)
					}
				} else if err == nil || string(b) != "hello" {
					t.Errorf("streamed answer %q, %v; want hello, then the answer aborted", b, err)
				}
				select {
				case rec := <-recs:
					if tc.partial == "" && rec.SCFStatus != 433 || rec.Err == nil {
						t.Errorf("record: scf status %d, err %v; want the timeout", rec.SCFStatus, rec.Err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no record of the request")
				}
			})
		}
	}
}

// hangingUpstream is a web function that reads a request head, sends
// partial and then nothing until the gateway closes the connection.
func hangingUpstream(t *testing.T, partial string) string {
	return socketUpstream(t, func(c net.Conn, br *bufio.Reader) {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) == 2 {
				break
			}
		}
		io.WriteString(c, partial)
		_, _ = io.Copy(io.Discard, br) // until the gateway closes it
	})
}
