package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestServerIdleConnectionsKeepNoBigHead: a kept-alive connection does not
// hold on to the room of a big request head it once read (nor the head's
// copy), so many idle clients that each sent one cost little memory.
func TestServerIdleConnectionsKeepNoBigHead(t *testing.T) {
	addr, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	const conns, fields = 16, 20000 // heads of about 900 kB, 20000 fields
	var sb strings.Builder
	sb.WriteString("GET / HTTP/1.1\r\nHost: h\r\n")
	for i := range fields {
		sb.WriteString("X-Field-")
		sb.WriteString(strings.Repeat("a", 30))
		sb.WriteString(": ")
		sb.WriteString(strings.Repeat("v", i%10))
		sb.WriteString("\r\n")
	}
	sb.WriteString("\r\n")
	req := sb.String()
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(res.Body)
	}
	// A head is 900 kB, and its fields more; what an idle connection keeps
	// (buffers, goroutine) is a few kB. A connection trims what it kept
	// after its answer went out, so the client can read the answer first:
	// the heap is read until it is under the limit, for up to 10 s.
	limit := int64(conns * 100 << 10)
	var grown int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if grown = int64(heap()) - int64(before); grown <= limit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the heap grew by %d kB for %d idle connections, want under %d kB", grown>>10, conns, limit>>10)
		}
	}
}
