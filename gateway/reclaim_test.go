package gateway

import (
	"io"
	"net/http"
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
