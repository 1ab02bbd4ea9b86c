package gateway

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// rawGet sends a keep-alive GET on c and reads the answer, a
// Content-Length one, allocating nothing in steady state.
type rawClient struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

func newRawClient(tb testing.TB, addr, path string) *rawClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	return &rawClient{c: c, br: bufio.NewReaderSize(c, 8<<10),
		req: []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")}
}

// do sends the request and returns the answer's status.
func (rc *rawClient) do() (int, error) {
	if _, err := rc.c.Write(rc.req); err != nil {
		return 0, err
	}
	status, n := 0, 0
	for first := true; ; first = false {
		line, err := rc.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if first && len(line) > 12 {
			status, _ = strconv.Atoi(string(line[9:12]))
			continue
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	_, err := rc.br.Discard(n)
	return status, err
}

// benchListener runs b's parallel clients against the gateway served by
// serve on a loopback listener: the whole path a client sees, the HTTP
// server included.
func benchListener(b *testing.B, serve func(net.Listener, http.Handler)) {
	g, _ := webHop(b)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go serve(l, g)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		rc := newRawClient(b, l.Addr().String(), "/release/app/x?a=b")
		defer rc.c.Close()
		for pb.Next() {
			if st, err := rc.do(); err != nil || st != 200 {
				b.Errorf("status %d, err %v", st, err)
				return
			}
		}
	})
}

// BenchmarkNetHTTPServer is the gateway behind net/http's server, as the
// emulator served it before its own server loop.
func BenchmarkNetHTTPServer(b *testing.B) {
	benchListener(b, func(l net.Listener, h http.Handler) {
		srv := &http.Server{Handler: h}
		b.Cleanup(func() { srv.Close() })
		_ = srv.Serve(l)
	})
}

// BenchmarkServer is the gateway behind its own server loop, as the
// emulator serves it.
func BenchmarkServer(b *testing.B) {
	benchListener(b, func(l net.Listener, h http.Handler) {
		srv := &Server{Handler: h}
		b.Cleanup(func() { srv.Close() })
		_ = srv.Serve(l)
	})
}

// BenchmarkServerManyFields: a head of 800 short fields that arrives in
// one read (the work per head line must not grow with the bytes buffered).
func BenchmarkServerManyFields(b *testing.B) {
	addr, _ := startServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("A:b\r\n", 800) + "\r\n")
	br := bufio.NewReader(c)
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
	}
}
