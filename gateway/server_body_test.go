package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerBodyLimits: over the gateway's own server, a body past the
// 6 MB limit gets the platform's 413 answer, by its Content-Length or as
// it arrives chunked, and the connection closes (the rest is not read).
func TestServerBodyLimits(t *testing.T) {
	up, _ := rawUpstream(t, func(int, *http.Request) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false
	})
	addr, _ := gatewayServer(t, up)
	big := strings.Repeat("a", defaultMaxBody+1)
	for _, tc := range []struct{ name, req string }{
		{"content-length", "POST /release/app/x HTTP/1.1\r\nHost: h\r\nContent-Length: 6291457\r\n\r\n" + big},
		{"content-length, expect", "POST /release/app/x HTTP/1.1\r\nHost: h\r\nContent-Length: 6291457\r\nExpect: 100-continue\r\n\r\n"},
		{"chunked", "POST /release/app/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n600001\r\n" + big + "\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(c, tc.req) // the server may stop reading
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), `"errorCode"`) || !res.Close {
				t.Errorf("answer %d %q close %v; want the platform's 413, closing", res.StatusCode, b, res.Close)
			}
		})
	}
}
