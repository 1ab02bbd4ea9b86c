package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCapReclaimsIdle: at the cap, a new client gets the place of the
// keep-alive connection idle longest (a client that may never come back),
// not the idle timeout's wait; the other keep-alive clients are served on,
// and the one cut connects again.
func TestCapReclaimsIdle(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.URL.Path) })
	for _, gs := range guardedServers {
		t.Run(gs.name, func(t *testing.T) {
			l := listenLoopback(t)
			addr := l.Addr().String()
			conns := gs.start(t, l, h, 3, 0, nil)
			keep := make([]*rawClient, 3)
			for i := range keep {
				keep[i] = newRawClient(t, addr, "/keep")
				t.Cleanup(func() { keep[i].c.Close() })
				if st, err := keep[i].do(); err != nil || st != 200 {
					t.Fatalf("keep-alive client %d: %d, %v", i, st, err)
				}
				// In order: keep[0] is idle longest.
				eventually(t, "the connection idle", func() bool { _, _, idle := conns(); return idle == i+1 })
			}
			if got := exchangeRaw(t, addr, "GET /new HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(got, "ok /new") {
				t.Fatalf("a new client at the cap: %q", got)
			}
			_ = keep[0].c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if st, err := keep[0].do(); err == nil {
				t.Fatalf("the connection idle longest answered %d; want it closed for the new client", st)
			}
			for i, k := range keep[1:] {
				if st, err := k.do(); err != nil || st != 200 {
					t.Fatalf("keep-alive client %d after the new one: %d, %v", i+1, st, err)
				}
			}
			again := newRawClient(t, addr, "/again")
			defer again.c.Close()
			if st, err := again.do(); err != nil || st != 200 {
				t.Fatalf("the client cut, connecting again: %d, %v", st, err)
			}
		})
	}
}

// TestShutdownAtTheCap: Shutdown while a client waits at the cap (every
// connection busy) stops the accept loop at once, closes the held client
// unanswered, and returns once the requests in flight are answered.
func TestShutdownAtTheCap(t *testing.T) {
	type server struct {
		serve    func(net.Listener) error
		shutdown func(context.Context) error
	}
	servers := map[string]func(h http.Handler) server{
		"gateway server": func(h http.Handler) server {
			s := &Server{Handler: h, MaxConns: 2}
			return server{s.Serve, s.Shutdown}
		},
		"net/http behind Listener": func(h http.Handler) server {
			srv := &http.Server{Handler: h}
			return server{func(l net.Listener) error {
				gl := NewListener(l, 2, 0, nil)
				srv.ConnState = gl.ConnState
				return srv.Serve(gl)
			}, srv.Shutdown}
		},
	}
	for name, mk := range servers {
		t.Run(name, func(t *testing.T) {
			unblock, entered := make(chan struct{}), make(chan struct{}, 2)
			s := mk(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				entered <- struct{}{}
				<-unblock
				io.WriteString(w, "ok")
			}))
			l := listenLoopback(t)
			served := make(chan error, 1)
			go func() { served <- s.serve(l) }()
			busy := make(chan error, 2)
			for range 2 {
				k := newRawClient(t, l.Addr().String(), "/busy")
				t.Cleanup(func() { k.c.Close() })
				go func() { _, err := k.do(); busy <- err }()
				<-entered
			}
			held := dial(t, l.Addr().String())
			io.WriteString(held, "GET /held HTTP/1.1\r\nHost: h\r\n\r\n")
			time.Sleep(100 * time.Millisecond) // accepted, waiting for a slot

			shut := make(chan error, 1)
			go func() { shut <- s.shutdown(t.Context()) }()
			select {
			case err := <-served:
				if err != http.ErrServerClosed {
					t.Errorf("Serve = %v, want ErrServerClosed", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve still accepting 10 s after Shutdown")
			}
			_ = held.SetReadDeadline(time.Now().Add(10 * time.Second))
			// Closed with its request unread: an end or a reset, not a timeout.
			if b, err := io.ReadAll(held); len(b) != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("the held client read %q, %v; want its connection closed unanswered", b, err)
			}
			close(unblock)
			for range 2 {
				if err := <-busy; err != nil {
					t.Errorf("a request in flight at Shutdown: %v", err)
				}
			}
			select {
			case err := <-shut:
				if err != nil {
					t.Errorf("Shutdown = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Shutdown still waiting 10 s after the requests in flight ended")
			}
		})
	}
}
