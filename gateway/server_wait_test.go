package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The answer to a kept-alive request goes out before the next one is read:
// a client that waits for each answer before sending the
// next request must get it, and a server shutting down must still send it
// and then close the idle connection.
func TestServerSendsEachAnswerBeforeWaitingForTheNext(t *testing.T) {
	addr, s := startServer(t, echoHandler)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // the hang guard
	br := bufio.NewReader(c)
	for i := range 50 {
		if _, err := io.WriteString(c, "GET /n HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("answer %d: %d, body %v", i, resp.StatusCode, err)
		}
		resp.Body.Close()
	}

	// Shut down while the connection waits for a next request: the answer
	// to the last one is out already (read above), and the connection ends.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("after Shutdown the idle connection read %v; want it closed", err)
	}
}

// A request in flight when Shutdown starts gets its whole answer, then the
// connection closes instead of waiting for another request.
func TestServerShutdownSendsTheAnswerInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	addr, s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "last")
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
	<-entered
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	for !s.closing.Load() {
		time.Sleep(time.Millisecond) // Shutdown has begun once closing is set
	}
	close(release)
	all, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("reading the answer: %v", err)
	}
	if !strings.Contains(string(all), "200 OK") || !strings.HasSuffix(string(all), "last") {
		t.Fatalf("got %q; want the whole answer", all)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
