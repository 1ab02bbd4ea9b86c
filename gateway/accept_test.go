package gateway

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flakyListener fails its accepts, as out of file descriptors, while
// failing is set, and counts them.
type flakyListener struct {
	net.Listener
	failing atomic.Bool
	calls   atomic.Int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if l.failing.Load() {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptErrorsBackOff: while accepting fails the server retries with
// a backoff (a handful of tries in 400 ms, not a spin), logs it once, and
// serves the client that waited as soon as accepting works again.
func TestAcceptErrorsBackOff(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, gs := range guardedServers {
		t.Run(gs.name, func(t *testing.T) {
			var logs logLines
			fl := &flakyListener{Listener: listenLoopback(t)}
			fl.failing.Store(true)
			gs.start(t, fl, h, 0, 0, logs.logger())
			answer := make(chan string, 1)
			go func() {
				answer <- exchangeRaw(t, fl.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
			}()
			time.Sleep(400 * time.Millisecond)
			// 5+10+20+40+80+160 ms: 7 tries; a spin makes thousands.
			if n := fl.calls.Load(); n < 2 || n > 12 {
				t.Errorf("%d accepts in 400 ms of failures, want a backoff's few", n)
			}
			fl.failing.Store(false)
			select {
			case got := <-answer:
				if !strings.HasSuffix(got, "ok") {
					t.Fatalf("the client that waited got %q", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the client that waited was not served")
			}
			// The run of failures is over when accepts go the quiet time
			// without failing.
			time.Sleep(testQuiet + 100*time.Millisecond)
			if got := exchangeRaw(t, fl.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(got, "ok") {
				t.Fatalf("a later client got %q", got)
			}
			if n := logs.count("accept failed"); n != 1 {
				t.Errorf("accept failures logged %d times, want once for the run", n)
			}
			eventually(t, "the recovery logged", func() bool { return logs.count("accepting again") == 1 })
			if !strings.Contains(logs.String(), "too many open files") {
				t.Errorf("the log does not say why accepting failed:\n%s", logs.String())
			}
		})
	}
}
