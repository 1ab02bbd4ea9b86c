package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// oneInstance is a backend with --max-instances 1 for each function type:
// a request that finds the instance taken is refused with 432 at once, so
// a stalled upload holding it shows as a refused request, not as a wait.
type oneInstance struct {
	*fakeBackend
	busy     atomic.Bool
	taken    atomic.Int64 // instances handed out, stalled or not
	resolved chan string  // the path of every request that was resolved
}

func newOneInstance(addr, typ string) *oneInstance {
	b := &oneInstance{resolved: make(chan string, 16)}
	b.fakeBackend = &fakeBackend{
		ResolveFn: func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
			return Target{Function: fn, Namespace: "default", Qualifier: q, Version: "1", Route: "primary",
				Type: typ, MemoryMB: 128, TimeoutSec: 3}, nil
		},
		ServeFn: func(ctx context.Context, _ Target, _ string, fn func(context.Context, string) error) error {
			if !b.take() {
				return scferr.New(scferr.ErrConcurrency, "max instances reached", nil)
			}
			defer b.busy.Store(false)
			return fn(ctx, addr)
		},
		InvokeFn: func(_ context.Context, t Target, _ string, event []byte) ([]byte, error) {
			if !b.take() {
				return nil, scferr.New(scferr.ErrConcurrency, "max instances reached", nil)
			}
			defer b.busy.Store(false)
			return echo(t, event)
		},
	}
	return b
}

func (b *oneInstance) take() bool {
	if !b.busy.CompareAndSwap(false, true) {
		return false
	}
	b.taken.Add(1)
	return true
}

// next returns the X-Test header of the next request resolved.
func (b *oneInstance) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-b.resolved:
		return s
	case <-time.After(20 * time.Second): // a bound, not an assertion
		t.Fatal("no request reached the backend")
		return ""
	}
}

func (b *oneInstance) Resolve(ctx context.Context, function, qualifier string, header http.Header) (Target, error) {
	b.resolved <- header.Get("X-Test")
	return b.fakeBackend.Resolve(ctx, function, qualifier, header)
}

// TestStalledUpload is attack 5 of issue 12: a client that sends headers
// and part of a body, then nothing, must get 408 without ever holding the
// function's only instance, while other requests are served meanwhile.
func TestStalledUpload(t *testing.T) {
	addr, _, _ := webUpstream(t)
	tests := []struct {
		name, typ, path string
		framing         string // the stalled request's body framing
		wantOK          int
	}{
		{"web function, declared length", TypeHTTP, "/release/app/x", "Content-Length: 1000\r\n\r\npartial", http.StatusCreated},
		{"web function, chunked", TypeHTTP, "/release/app/x", "Transfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n", http.StatusCreated},
		{"event function, declared length", TypeEvent, "/release/hello", "Content-Length: 1000\r\n\r\npartial", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newOneInstance(addr, tc.typ)
			svcs := webServices()
			if tc.typ == TypeEvent {
				svcs = grayscale()
			}
			g := newTestGateway(t, b, svcs, Options{BodyTimeout: time.Second})
			srv := startGateway(t, g)

			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second)) // a bound, not an assertion
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nX-Test: stalled\r\n%s", tc.path, tc.framing)
			if got := b.next(t); got != "stalled" {
				t.Fatalf("first request resolved was %q, want the stalled one", got)
			}

			// The stalled request is inside the gateway now; the instance
			// must still be free for this one.
			req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(`{"a":1}`))
			req.Header.Set("X-Test", "other")
			client := srv.Client()
			client.Timeout = 20 * time.Second // a bound, not an assertion
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b.next(t)
			if resp.StatusCode != tc.wantOK {
				t.Errorf("request during the stalled upload: %d %s, want %d", resp.StatusCode, body, tc.wantOK)
			}

			stalled, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("stalled request got no answer: %v", err)
			}
			sb, _ := io.ReadAll(stalled.Body)
			if stalled.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(sb), `"errno":408`) {
				t.Errorf("stalled request: %d %s, want 408 with the gateway error body", stalled.StatusCode, sb)
			}
			if n := b.taken.Load(); n != 1 {
				t.Errorf("instances taken: %d, want 1 (only the complete request)", n)
			}
		})
	}
}

// TestSlowBodyWithinDeadline checks that a body arriving in pieces, all
// within the deadline, reaches the function whole.
func TestSlowBodyWithinDeadline(t *testing.T) {
	addr, last, _ := webUpstream(t)
	g := newTestGateway(t, webBackend(addr), webServices(), Options{BodyTimeout: 10 * time.Second})
	srv := startGateway(t, g)
	pr, pw := io.Pipe()
	go func() {
		for _, part := range []string{"hello ", "slow ", "world"} {
			_, _ = pw.Write([]byte(part))
		}
		pw.Close()
	}()
	resp, err := srv.Client().Post(srv.URL+"/release/app/x", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || last().Body != "hello slow world" {
		t.Errorf("got %d, function saw %q; want 201 and the whole body", resp.StatusCode, last().Body)
	}
	if cl := last().Header.Get("Content-Length"); cl != "" && cl != "16" {
		t.Errorf("function saw Content-Length %q, want 16", cl)
	}
}
