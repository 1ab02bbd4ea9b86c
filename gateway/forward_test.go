package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gatewayTo starts a gateway whose web function W is the handler h; conns,
// when set, counts the function's new connections.
func gatewayTo(t *testing.T, h http.Handler, conns *atomic.Int64) (*httptest.Server, *httptest.Server) {
	t.Helper()
	up := httptest.NewUnstartedServer(h)
	if conns != nil {
		up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	g := newTestGateway(t, webBackend(up.Listener.Addr().String()), webServices(), Options{})
	return startGateway(t, g), up
}

func TestForwardSemantics(t *testing.T) {
	var upstreamSaw atomic.Pointer[http.Request]
	srv, _ := gatewayTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		upstreamSaw.Store(r)
		switch r.URL.Path {
		case "/app/echo":
			w.Header().Set("Connection", "X-Hop")
			w.Header().Set("X-Hop", "hop")
			w.Header().Set("Keep-Alive", "timeout=5")
			w.Header().Set("X-Len", fmt.Sprint(r.ContentLength))
			w.Header().Set("X-Te", strings.Join(r.TransferEncoding, ","))
			_, _ = w.Write(body)
		case "/app/trailer":
			w.Header().Set("Trailer", "X-Sum")
			_, _ = io.WriteString(w, "with trailer")
			w.Header().Set("X-Sum", "42")
		case "/app/head":
			w.Header().Set("Content-Length", "11")
		}
	}), nil)
	c := srv.Client()

	t.Run("chunked request body arrives with its length", func(t *testing.T) {
		resp, err := c.Post(srv.URL+"/release/app/echo", "text/plain", chunked{strings.NewReader("chunk one, chunk two")})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "chunk one, chunk two" || resp.Header.Get("X-Len") != "20" || resp.Header.Get("X-Te") != "" {
			t.Errorf("got %q, length %s, transfer-encoding %q; want the body with Content-Length 20",
				b, resp.Header.Get("X-Len"), resp.Header.Get("X-Te"))
		}
	})
	t.Run("hop-by-hop headers stay behind both ways", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/release/app/echo", strings.NewReader("x"))
		req.Header.Set("Connection", "X-Client-Hop")
		req.Header.Set("X-Client-Hop", "1")
		req.Header.Set("Proxy-Authorization", "secret")
		req.Header.Set("X-End", "kept")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r := upstreamSaw.Load()
		if r.Header.Get("X-Client-Hop") != "" || r.Header.Get("Proxy-Authorization") != "" || r.Header.Get("X-End") != "kept" {
			t.Errorf("upstream headers %v: want X-Client-Hop and Proxy-Authorization dropped, X-End kept", r.Header)
		}
		if resp.Header.Get("X-Hop") != "" || resp.Header.Get("Keep-Alive") != "" {
			t.Errorf("answer headers %v: want X-Hop and Keep-Alive dropped", resp.Header)
		}
	})
	t.Run("100-continue", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", srv.URL+"/release/app/echo", strings.NewReader("after continue"))
		req.Header.Set("Expect", "100-continue")
		tr := &http.Transport{ExpectContinueTimeout: time.Minute} // far beyond a loaded machine's delays
		defer tr.CloseIdleConnections()
		start := time.Now()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "after continue" || upstreamSaw.Load().Header.Get("Expect") != "" {
			t.Errorf("got %q, upstream Expect %q: want the body, and no Expect (the gateway has the body)", b, upstreamSaw.Load().Header.Get("Expect"))
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("the client waited for its ExpectContinueTimeout: the gateway never sent 100 Continue")
		}
	})
	t.Run("trailers", func(t *testing.T) {
		resp, err := c.Get(srv.URL + "/release/app/trailer")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "with trailer" || resp.Trailer.Get("X-Sum") != "42" {
			t.Errorf("got %q trailer %v, want the body and X-Sum: 42", b, resp.Trailer)
		}
	})
	t.Run("HTTP/1.0 without Host", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST /release/app/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "hi" || upstreamSaw.Load().Host == "" {
			t.Errorf("got %d %q, upstream Host %q: want the echo and a Host for the function", resp.StatusCode, b, upstreamSaw.Load().Host)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		resp, err := c.Head(srv.URL + "/release/app/head")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != 11 {
			t.Errorf("HEAD got %d length %d, want 200 and 11", resp.StatusCode, resp.ContentLength)
		}
		// The connection carries the next request after a bodiless answer.
		resp, err = c.Get(srv.URL + "/release/app/trailer")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "with trailer" {
			t.Errorf("after HEAD got %q", b)
		}
	})
}

// TestForwardStreams checks that a streamed answer reaches the client part
// by part, before the function has finished it.
func TestForwardStreams(t *testing.T) {
	release := make(chan struct{})
	srv, _ := gatewayTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "second\n")
	}), nil)
	resp, err := srv.Client().Get(srv.URL + "/release/app/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first part %q, %v: want it before the function finished", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if string(rest) != "second\n" {
		t.Errorf("rest %q, want second", rest)
	}
}

// TestForwardRetriesAClosedIdleConnection checks that a request sent on a
// kept connection the instance has closed meanwhile goes out again on a new
// one instead of failing.
func TestForwardRetriesAClosedIdleConnection(t *testing.T) {
	var conns atomic.Int64
	srv, up := gatewayTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), &conns)
	get := func() {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + "/release/app/x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, b)
		}
	}
	get()
	up.CloseClientConnections() // the instance drops its idle keep-alive connections
	get()
	if n := conns.Load(); n != 2 {
		t.Errorf("upstream saw %d connections, want 2: the closed one and its replacement", n)
	}
}

// TestWebSocketUpgrade checks that an upgrade joins client and function
// into one byte stream.
func TestWebSocketUpgrade(t *testing.T) {
	srv, _ := gatewayTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "no upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo: " + line)
		_ = brw.Flush()
	}), nil)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /release/app/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("got %d, want 101", resp.StatusCode)
	}
	fmt.Fprintf(conn, "ping\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "echo: ping\n" {
		t.Errorf("after the upgrade got %q, %v; want echo: ping", line, err)
	}
}

// TestForwardNewInstanceOnTheSamePort checks that a POST to an instance
// that replaced a stopped one at the same address does not go out on the
// stopped one's kept connection (a POST that got no answer is not sent
// twice, so it would fail).
func TestForwardNewInstanceOnTheSamePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	serve := func(l net.Listener, name string) *httptest.Server {
		up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, name)
		}))
		up.Listener.Close()
		up.Listener = l
		up.Start()
		return up
	}
	first := serve(l, "first")
	g := newTestGateway(t, webBackend(addr), webServices(), Options{})
	g.upstreams.checkAfter = 0
	srv := startGateway(t, g)
	post := func() string {
		t.Helper()
		resp, err := srv.Client().Post(srv.URL+"/release/app/x", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	if got := post(); got != "first" {
		t.Fatalf("got %q, want first", got)
	}
	first.Close() // the instance stops; the gateway keeps its connection
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	second := serve(l2, "second")
	defer second.Close()
	if got := post(); got != "second" {
		t.Errorf("got %q, want second", got)
	}
}

// TestForwardKeepsAConnectionPerRequestInFlight checks that an instance
// serving many requests at once (concurrency > 1) gets its connections
// back for the next round instead of a dial per request: two rounds of 32
// requests held in flight together use 32 connections, not 64.
func TestForwardKeepsAConnectionPerRequestInFlight(t *testing.T) {
	const inFlight, rounds = 32, 2
	var conns, arrived atomic.Int64
	// gates[i] opens when round i's last request reaches the function, so
	// every round holds inFlight requests at the function together.
	gates := make([]chan struct{}, rounds)
	for i := range gates {
		gates[i] = make(chan struct{})
	}
	srv, _ := gatewayTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := arrived.Add(1)
		gate := gates[(n-1)/inFlight]
		if n%inFlight == 0 {
			close(gate)
		}
		<-gate
		_, _ = io.WriteString(w, "ok")
	}), &conns)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	defer client.CloseIdleConnections()
	for round := range rounds {
		errs := make(chan error, inFlight)
		for range inFlight {
			go func() {
				resp, err := client.Get(srv.URL + "/release/app/x")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				errs <- err
			}()
		}
		for range inFlight {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	if n := conns.Load(); n != inFlight {
		t.Errorf("the function saw %d connections over %d rounds of %d requests in flight, want %d", n, rounds, inFlight, inFlight)
	}
}

// TestForwardPostAfterInstanceClosedIdleConnection checks that a POST is
// not sent on a kept connection the instance closed a moment ago (its
// keep-alive timeout is short): the POST, which cannot be retried once
// written, would fail with 502 instead of reaching the instance.
func TestForwardPostAfterInstanceClosedIdleConnection(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	up.Config.IdleTimeout = 100 * time.Millisecond
	up.Start()
	defer up.Close()
	addr := strings.TrimPrefix(up.URL, "http://")
	g := newTestGateway(t, webBackend(addr), webServices(), Options{})
	srv := startGateway(t, g)
	for i := range 3 {
		if i > 0 {
			time.Sleep(300 * time.Millisecond) // the instance closes the idle connection meanwhile
		}
		body := fmt.Sprintf("post %d", i)
		resp, err := srv.Client().Post(srv.URL+"/release/app/x", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != body {
			t.Fatalf("POST %d: %d %q, want 200 %q", i, resp.StatusCode, b, body)
		}
	}
}
