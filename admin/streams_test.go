package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
)

// followLogs is a log whose follows end with their request, as
// logstore.Store's do.
type followLogs struct{ fakeLogs }

func (f *followLogs) Follow(ctx context.Context, _ logstore.Query) <-chan logstore.Record {
	ch := make(chan logstore.Record)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// TestStreamsLeaveRoomForRequests: behind a listener of 4 connections, as
// cmd/emulator puts one of 256 in front of the admin server, streams take
// at most their share (2 here). One more is answered at once with 503,
// Retry-After and a message saying why, while short requests still get a
// connection and an answer; a stream that ends frees its slot.
func TestStreamsLeaveRoomForRequests(t *testing.T) {
	src := newSources(false)
	srv := NewServer(ServerOptions{
		Logs: &followLogs{}, Metrics: src.met, Registry: src.reg, Rollouts: src.rollouts, Gateway: fakeGateway{}, Info: fakeInfo{},
		MaxStreams: 2,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gl := gateway.NewListener(ln, 4, 0, nil)
	hs := &http.Server{Handler: srv, ConnState: gl.ConnState, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(gl) }()
	t.Cleanup(func() {
		srv.Close()
		_ = hs.Close()
	})
	base := "http://" + ln.Addr().String()

	// stream opens a log follow on a connection of its own; its first
	// flush (the history) says it is open.
	stream := func() (status int, retry string, body string, stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/emulator/logs?function=B&follow=1", nil)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			cancel()
			t.Fatalf("stream: %v", err)
		}
		if resp.StatusCode != http.StatusOK {
			var b strings.Builder
			_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
			resp.Body.Close()
			cancel()
			return resp.StatusCode, resp.Header.Get("Retry-After"), b.String(), func() {}
		}
		return resp.StatusCode, "", "", func() { cancel(); resp.Body.Close() }
	}
	var stops []func()
	for i := range 2 {
		st, _, body, stop := stream()
		if st != http.StatusOK {
			t.Fatalf("stream %d = %d %s, want 200", i, st, body)
		}
		stops = append(stops, stop)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	st, retry, body, _ := stream()
	var eb errorBody
	_ = json.Unmarshal([]byte(body), &eb)
	if st != http.StatusServiceUnavailable || retry == "" || eb.Code != "RequestLimitExceeded" ||
		!strings.Contains(eb.Error, "too many open streams: 2 streams") {
		t.Errorf("a third stream = %d Retry-After %q %s, want 503 with Retry-After and the reason", st, retry, body)
	}
	for i := range 3 { // short requests, each on a connection of its own
		resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Get(base + "/healthz")
		if err != nil {
			t.Fatalf("healthz %d with the streams open: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("healthz %d = %d", i, resp.StatusCode)
		}
	}
	// A stream that ends gives its slot back once its handler returns.
	stops[0]()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _, body, stop := stream()
		if st == http.StatusOK {
			stops[0] = stop
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a stream after one ended = %d %s, want 200", st, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
