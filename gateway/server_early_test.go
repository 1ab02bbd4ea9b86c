//go:build linux

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

// Bytes a peer sends unprompted can be in the socket before the gateway
// next reads: a pipelined request that came during its predecessor's
// handler, a client's half-close after its request, an instance that
// half-closed a kept connection. Go's poller signals their arrival once and
// forgets it when a read starts, so a read that waited for a signal before
// reading would miss them (a way to save the empty read per request that
// was tried and dropped for this): the gateway must read first.

// queued waits until c's receive queue holds an unread byte (eof false) or
// the peer's end of stream with nothing before it (eof true), so a test
// can set up the case where they came before the next read, without
// relying on timing.
func queued(c net.Conn, eof bool) error {
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	for guard := time.Now().Add(30 * time.Second); time.Now().Before(guard); time.Sleep(time.Millisecond) {
		var n int
		var rerr error
		if err := raw.Control(func(fd uintptr) {
			var b [1]byte
			n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		}); err != nil {
			return err
		}
		if rerr == nil && (n > 0) != eof {
			return nil
		}
	}
	return errors.New("the peer's bytes never came")
}

// tapListener hands each accepted connection, as accepted, to conns too.
type tapListener struct {
	net.Listener
	conns chan net.Conn
}

func (l tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.conns <- c
	}
	return c, err
}

// startTappedServer is startServer with the server's end of each
// connection on the returned channel, and an idle timeout past the tests'
// hang guards: a connection that waits for the next request after the
// client is done would not end on its own before them.
func startTappedServer(t *testing.T, h func(server <-chan net.Conn) http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 16)
	s := &Server{Handler: h(conns), IdleTimeout: 10 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- s.Serve(tapListener{l, conns}) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != http.ErrServerClosed {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// A client that half-closes after its request, then reads until the end,
// gets the answer and the end: the server must not wait for a request
// whose absence it was told of before it sent the answer.
func TestServerEndsAfterClientHalfClose(t *testing.T) {
	addr := startTappedServer(t, func(server <-chan net.Conn) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Answer once the client's end of stream is in the socket.
			if err := queued(<-server, true); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			io.WriteString(w, "answer")
		})
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // the hang guard
	if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading to the end: %v (after %q); want the answer, then the end", err, all)
	}
	if !strings.HasPrefix(string(all), "HTTP/1.1 200 OK") || !strings.HasSuffix(string(all), "answer") {
		t.Fatalf("got %q; want the answer", all)
	}
}

// A pipelined request that arrived whole while its predecessor's handler
// ran, in its own packet, is answered.
func TestServerAnswersPipelinedRequestThatCameDuringTheHandler(t *testing.T) {
	entered := make(chan struct{})
	addr := startTappedServer(t, func(server <-chan net.Conn) http.Handler {
		var sc net.Conn
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/1" {
				sc = <-server
				close(entered)
				// Answer once the next request is in the socket.
				if err := queued(sc, false); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
			}
			io.WriteString(w, r.URL.Path)
		})
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // the hang guard
	br := bufio.NewReader(c)
	if _, err := io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-entered
	if _, err := io.WriteString(c, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/1", "/2"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer to %s: %v", want, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(b) != want {
			t.Fatalf("answer to %s: %d %q, %v", want, resp.StatusCode, b, err)
		}
	}
}

// An instance that half-closes its kept connection after an answer (and
// reads on) has the next request retried on a fresh connection: the end of
// stream is in the socket before the request goes out on the kept one.
func TestWebRetriesAfterInstanceHalfClosedItsConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn // closed at the end; the serving goroutine alone appends
	served := make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		<-served
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		defer close(served)
		for k := 1; ; k++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() {
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					body := fmt.Sprintf("conn %d", k)
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
					if k == 1 {
						// Done writing on the first connection, still reading.
						c.(*net.TCPConn).CloseWrite()
					}
				}
			}()
		}
	}()
	addr, _ := gatewayServer(t, l.Addr().String())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The hang guard: a request left waiting on the half-closed connection
	// waits until the function's time is up (the runtime's to enforce: the
	// fake backend here never ends it).
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	for _, want := range []string{"conn 1", "conn 2"} {
		if _, err := io.WriteString(c, "GET /release/app/x HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("want %q: %v", want, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || string(body) != want {
			t.Fatalf("got %d %q, %v; want 200 %q", res.StatusCode, body, err, want)
		}
	}
}
