package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// guarded is a server with the defences against hostile clients: the
// gateway's Server, or net/http's behind a Listener (the admin address).
type guarded struct {
	name string
	// start serves h on l, with the given cap (0: default), write stall
	// bound and log.
	start func(t *testing.T, l net.Listener, h http.Handler, maxConns int, stall time.Duration, log *slog.Logger) probe
}

// testQuiet ends the tests' runs of accept failures: accepts must go that
// long without failing.
const testQuiet = 200 * time.Millisecond

// probe tells the connections a server holds, how many of them are
// writing, and how many are idle between requests.
type probe func() (open, writing, idle int)

var guardedServers = []guarded{
	{"gateway server", func(t *testing.T, l net.Listener, h http.Handler, maxConns int, stall time.Duration, log *slog.Logger) probe {
		s := &Server{Handler: h, MaxConns: maxConns, WriteStallTimeout: stall, Logger: log,
			ReadHeaderTimeout: time.Minute} // silent connections stay for the test
		s.init()
		s.acc.quiet = testQuiet
		serveUntilCleanup(t, func() error { return s.Serve(l) }, s.Close)
		return func() (open, writing, idle int) {
			s.mu.Lock()
			for c := range s.conns {
				if c.cw.since.Load() != 0 {
					writing++
				}
				if c.idleAt.Load() != 0 && c.state.Load() == connIdle {
					idle++
				}
			}
			open = len(s.conns)
			s.mu.Unlock()
			o, w, i := s.handed.probe()
			return open + o, writing + w, idle + i
		}
	}},
	{"net/http behind Listener", func(t *testing.T, l net.Listener, h http.Handler, maxConns int, stall time.Duration, log *slog.Logger) probe {
		gl := NewListener(l, maxConns, stall, log)
		gl.acc.quiet = testQuiet
		srv := &http.Server{Handler: h, ConnState: gl.ConnState}
		serveUntilCleanup(t, func() error { return srv.Serve(gl) }, srv.Close)
		return gl.conns.probe
	}},
}

func (s *connSet) probe() (open, writing, idle int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.cw.since.Load() != 0 {
			writing++
		}
		if c.idleAt.Load() != 0 {
			idle++
		}
	}
	return len(s.conns), writing, idle
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after 10 s: %s", what)
		}
	}
}

// logLines collects what a logger writes.
type logLines struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (l *logLines) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logLines) count(s string) int { return strings.Count(l.String(), s) }

// TestStalledClientIsCut: a client that sends pipelined requests and never
// reads the answers is cut once the answer's write has not moved for the
// bound, and the server's goroutines for it end; with a bound not reached,
// the connection stays.
func TestStalledClientIsCut(t *testing.T) {
	answer := strings.Repeat("x", 256<<10)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, answer) })
	for _, gs := range guardedServers {
		for _, tc := range []struct {
			name  string
			stall time.Duration
			cut   bool
		}{{"cut past the bound", 300 * time.Millisecond, true}, {"kept within the bound", time.Hour, false}} {
			t.Run(gs.name+"/"+tc.name, func(t *testing.T) {
				l := listenLoopback(t)
				addr := l.Addr().String()
				conns := gs.start(t, smallSendBuffer{l}, h, 0, tc.stall, nil)
				exchangeRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") // the server runs
				eventually(t, "no connection open", func() bool { open, _, _ := conns(); return open == 0 })
				base := runtime.NumGoroutine()

				c := dial(t, addr)
				// 64 answers of 256 KB: far more than the buffers on the way
				// hold, the client never reading.
				if _, err := io.WriteString(c, strings.Repeat("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 64)); err != nil {
					t.Fatal(err)
				}
				eventually(t, "the server's write blocked", func() bool { _, writing, _ := conns(); return writing == 1 })
				if !tc.cut {
					time.Sleep(1500 * time.Millisecond)
					if open, writing, _ := conns(); open != 1 || writing != 1 {
						t.Fatalf("%d connections open, %d writing; want the stalled one kept", open, writing)
					}
					return
				}
				eventually(t, "the stalled connection closed, its goroutines ended", func() bool {
					open, _, _ := conns()
					return open == 0 && runtime.NumGoroutine() <= base
				})
				// The client's next request meets a closed connection: it
				// reads what was sent, then the end (a reset), not a timeout.
				// (Only reading may not see it: loopback's kernel can drop the
				// orphaned socket, silently, while the client's window is shut.)
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				nread, err := io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("the client's read, after %d bytes: %v; want the connection closed", nread, err)
				}
			})
		}
	}
}

// TestStalledUpgradeIsCut: a connection handed to net/http and hijacked
// there (a websocket) whose client stops reading is cut as well.
func TestStalledUpgradeIsCut(t *testing.T) {
	chunk := strings.Repeat("z", 64<<10)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: stream\r\n\r\n")
		for brw.Flush() == nil {
			brw.WriteString(chunk)
		}
	})
	l := listenLoopback(t)
	conns := guardedServers[0].start(t, smallSendBuffer{l}, h, 0, 300*time.Millisecond, nil)
	base := runtime.NumGoroutine()
	c := dial(t, l.Addr().String())
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: stream\r\n\r\n")
	eventually(t, "the hijacked connection writing", func() bool { _, writing, _ := conns(); return writing == 1 })
	eventually(t, "the stalled connection closed, its goroutines ended", func() bool {
		open, _, _ := conns()
		return open == 0 && runtime.NumGoroutine() <= base
	})
}

// smallSendBuffer makes the server's writes wait for the client from the
// first kilobytes on: loopback's buffers grow to megabytes.
type smallSendBuffer struct{ net.Listener }

func (l smallSendBuffer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		_ = c.(*net.TCPConn).SetWriteBuffer(32 << 10)
	}
	return c, err
}

// TestSlowReaderIsKept: an answer to a client that reads slowly, but
// reads, takes several bounds to go out and is not cut: one long write
// (the kernel takes it in pieces as the client reads) or a stream of
// flushed ones.
func TestSlowReaderIsKept(t *testing.T) {
	// A bound of 2 s leaves room for a test process held up under -race on
	// two shared cores; the answer takes about twice as long to read.
	const size, bound = 3 << 20, 2 * time.Second
	body := strings.Repeat("y", size)
	modes := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"one write", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }},
		{"flushed stream", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < size; i += 32 << 10 {
				io.WriteString(w, body[i:i+32<<10])
				w.(http.Flusher).Flush()
			}
		}},
	}
	for _, gs := range guardedServers {
		for _, m := range modes {
			t.Run(gs.name+"/"+m.name, func(t *testing.T) {
				t.Parallel() // each takes twice the bound
				l := listenLoopback(t)
				gs.start(t, smallSendBuffer{l}, m.h, 0, bound, nil)
				c := dial(t, l.Addr().String())
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				res, err := http.ReadResponse(bufio.NewReaderSize(slowReader{c}, 8<<10), nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(res.Body)
				if err != nil || len(got) != size {
					t.Fatalf("%d bytes of the body, %v; want %d", len(got), err, size)
				}
			})
		}
	}
}

// slowReader reads at most 8 KB every 10 ms: 800 KB/s at best, four
// seconds for TestSlowReaderIsKept's answer, twice the bound.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 8<<10)])
}

// TestConnectionCap: past the cap new clients wait, unanswered, while no
// connection is idle between requests (new silent ones are not: their
// client may be about to send); the requests in flight are answered, and
// their connections, going idle then, make room for the waiting clients,
// then new ones are served. The cap is logged once per burst.
func TestConnectionCap(t *testing.T) {
	for _, gs := range guardedServers {
		t.Run(gs.name, func(t *testing.T) {
			unblock, entered := make(chan struct{}), make(chan struct{}, 2)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/busy" {
					entered <- struct{}{}
					<-unblock
				}
				io.WriteString(w, "ok "+r.URL.Path)
			})
			var logs logLines
			l := listenLoopback(t)
			addr := l.Addr().String()
			conns := gs.start(t, l, h, 4, 0, logs.logger())
			busy := make(chan error, 2)
			for range 2 {
				k := newRawClient(t, addr, "/busy")
				t.Cleanup(func() { k.c.Close() })
				go func() {
					st, err := k.do()
					if err == nil && st != 200 {
						err = fmt.Errorf("status %d", st)
					}
					busy <- err
				}()
				<-entered
			}
			hostile := []net.Conn{dial(t, addr), dial(t, addr)} // connect, send nothing
			eventually(t, "4 connections open", func() bool { open, _, _ := conns(); return open == 4 })

			waiting := make([]net.Conn, 2)
			for i := range waiting {
				waiting[i] = dial(t, addr) // the kernel's listen queue takes it
				io.WriteString(waiting[i], "GET /waiting HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
			}
			_ = waiting[0].SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if b, err := io.ReadAll(waiting[0]); len(b) != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("a client past the cap read %q, %v; want it held", b, err)
			}
			if n := logs.count("connection cap reached"); n != 1 {
				t.Errorf("cap reached logged %d times, want once for the burst", n)
			}

			close(unblock)
			for range 2 {
				if err := <-busy; err != nil {
					t.Fatalf("a request in flight at the cap: %v", err)
				}
			}
			for _, c := range waiting {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if b, err := io.ReadAll(c); err != nil || !strings.HasSuffix(string(b), "ok /waiting") {
					t.Fatalf("the held client, the requests in flight done: %q, %v", b, err)
				}
			}
			if got := exchangeRaw(t, addr, "GET /new HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(got, "ok /new") {
				t.Fatalf("a new client: %q", got)
			}
			eventually(t, "every burst's end logged", func() bool {
				return logs.count("connections below the cap again") == logs.count("connection cap reached")
			})
			for _, c := range hostile {
				c.Close()
			}
		})
	}
}

// TestServerSilentNewConnection: a connection that never sends a request
// is closed after the header timeout, not held for the idle one; a kept
// alive connection waits the idle timeout.
func TestServerSilentNewConnection(t *testing.T) {
	addr, _ := startServer(t, echoHandler, func(s *Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = time.Minute
	})
	silent := dial(t, addr)
	kept := newRawClient(t, addr, "/kept")
	defer kept.c.Close()
	if st, err := kept.do(); err != nil || st != 200 {
		t.Fatalf("first request: %d, %v", st, err)
	}
	_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(silent); err != nil || len(b) != 0 {
		t.Fatalf("silent connection: read %q, %v; want it closed", b, err)
	}
	if st, err := kept.do(); err != nil || st != 200 {
		t.Fatalf("the kept-alive connection, past the header timeout: %d, %v", st, err)
	}
}
