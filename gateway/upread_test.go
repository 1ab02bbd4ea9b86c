package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastUpstream answers each request the moment its head and body are in,
// echoing the body, from a plain loop: the answer can be back before the
// gateway's goroutine gets to wait for it, the case a lost wake-up would
// turn into a hang.
func fastUpstream(t *testing.T) string {
	addr, _ := rawUpstream(t, func(_ int, r *http.Request) (string, bool) {
		body, _ := io.ReadAll(r.Body)
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body), false
	})
	return addr
}

func TestWebAnswersThatComeAtOnceAreNeverMissed(t *testing.T) {
	g := newTestGateway(t, webBackend(fastUpstream(t)), webServices(), Options{})
	srv := startGateway(t, g)
	// The client's timeout is the hang guard: a request whose answer the
	// gateway missed would wait for it forever.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	bodies := map[string]string{
		"none":             "",
		"small":            "ping",
		"over the buffers": strings.Repeat("b", 3*upstreamBufSize+7), // sent before the wait, as usual
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				wg.Go(func() {
					for i := range 150 {
						want := body
						if body != "" {
							want = body + strconv.Itoa(w*1000+i)
						}
						resp, err := client.Post(srv.URL+"/release/app/echo", "text/plain", strings.NewReader(want))
						if err != nil {
							errs <- err
							return
						}
						got, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 || string(got) != want {
							errs <- fmt.Errorf("request %d/%d: %d, %d bytes; want 200 and the %d bytes sent", w, i, resp.StatusCode, len(got), len(want))
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// tcpPair is a connected loopback pair.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// newUpReader is an upReader on the client end of a loopback pair, with
// "ping" waiting in its writer.
func newUpReader(t *testing.T) (r *upReader, client, server net.Conn) {
	client, server = tcpPair(t)
	bw := bufio.NewWriter(client)
	r = &upReader{}
	r.init(client, bw)
	bw.WriteString("ping")
	return r, client, server
}

func TestUpReader(t *testing.T) {
	t.Run("the buffered request goes out on the first read, then the answer comes in", func(t *testing.T) {
		r, c, s := newUpReader(t)
		if err := r.send(); err != nil || !r.sendFirst {
			t.Fatalf("send: %v, sendFirst %v; want it kept for the read", err, r.sendFirst)
		}
		go func() {
			// The peer answers only once it has the request: the read below
			// returns only if it sent the request itself.
			b := make([]byte, 4)
			if _, err := io.ReadFull(s, b); err == nil && string(b) == "ping" {
				s.Write([]byte("pong"))
			}
		}()
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // the hang guard
		got := make([]byte, 16)
		n, err := r.Read(got)
		if err != nil || string(got[:n]) != "pong" {
			t.Fatalf("Read = %q, %v; want pong", got[:n], err)
		}
		if r.sendFirst || r.sendErr != nil {
			t.Errorf("after the read: sendFirst %v, sendErr %v", r.sendFirst, r.sendErr)
		}
	})
	t.Run("the peer's close reads as EOF", func(t *testing.T) {
		r, c, s := newUpReader(t)
		_ = r.send()
		go func() {
			b := make([]byte, 4)
			_, _ = io.ReadFull(s, b)
			s.Close()
		}()
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := r.Read(make([]byte, 16))
		if n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("Read = %d, %v; want EOF", n, err)
		}
		if r.sendErr != nil {
			t.Errorf("sendErr %v: the request did go out", r.sendErr)
		}
	})
	t.Run("a connection closed before sending says nothing went out", func(t *testing.T) {
		r, c, _ := newUpReader(t)
		_ = r.send()
		c.Close()
		if _, err := r.Read(make([]byte, 16)); err == nil || r.sendErr == nil {
			t.Fatalf("Read err %v, sendErr %v; want both set", err, r.sendErr)
		}
	})
	t.Run("nothing buffered: the writer's error comes from send", func(t *testing.T) {
		r, c, _ := newUpReader(t)
		bw := r.bw
		bw.Reset(c) // nothing waiting
		if err := r.send(); err != nil || r.sendFirst {
			t.Fatalf("send on an empty writer: %v, sendFirst %v; want nil, false", err, r.sendFirst)
		}
		c.Close()
		bw.Write(bytes.Repeat([]byte("y"), 2*bw.Size())) // fails writing directly: nothing stays buffered
		if err := r.send(); err == nil {
			t.Fatal("send after a failed write: nil; want the writer's error")
		}
	})
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}
