package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastUpstream answers each request the moment its head and body are in,
// echoing the body, from a plain loop: the answer can be back before the
// gateway's goroutine reads, the case a read path that waits before
// reading would turn into a hang.
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
