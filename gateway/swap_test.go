package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// TestSetServicesUnderLoad swaps tables while 200 requests run in parallel:
// every request must be answered by one table or the other, never a 5xx.
func TestSetServicesUnderLoad(t *testing.T) {
	tableFor := func(q string) []Service {
		return []Service{{Name: "A", Stages: map[string]string{"release": q},
			APIs: []API{{Path: "/hello", Method: "ANY", Function: "B"}}}}
	}
	g := newTestGateway(t, &fakeBackend{}, tableFor("q0"), Options{})
	srv := startGateway(t, g)

	const requests = 200
	stop := make(chan struct{})
	swapped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				swapped <- n
				return
			default:
			}
			n++
			if err := g.SetServices(tableFor(fmt.Sprintf("q%d", n%2))); err != nil {
				t.Errorf("SetServices: %v", err)
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := srv.Client().Get(srv.URL + "/release/hello")
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e echoed
			if resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil || (e.Qualifier != "q0" && e.Qualifier != "q1") {
				errs <- fmt.Errorf("request %d: %d %s", i, resp.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	close(stop)
	n := <-swapped
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n == 0 {
		t.Errorf("no swap happened during the requests")
	}
}

// TestInFlightKeepsItsTable holds a request inside Invoke while the table
// changes: it finishes on the old binding, the next request uses the new.
func TestInFlightKeepsItsTable(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	fb := &fakeBackend{InvokeFn: func(ctx context.Context, tg Target, _ string, ev []byte) ([]byte, error) {
		if tg.Qualifier == "old" {
			close(entered)
			<-release
		}
		return echo(tg, ev)
	}}
	svc := func(q string) []Service {
		return []Service{{Name: "A", Stages: map[string]string{"release": q},
			APIs: []API{{Path: "/hello", Method: "GET", Function: "B"}}}}
	}
	g := newTestGateway(t, fb, svc("old"), Options{})

	done := make(chan string)
	go func() {
		w := do(g, "GET", "/release/hello", nil, nil)
		var e echoed
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		done <- e.Qualifier
	}()
	<-entered
	if err := g.SetServices(svc("new")); err != nil {
		t.Fatal(err)
	}
	w := do(g, "GET", "/release/hello", nil, nil)
	var e echoed
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Qualifier != "new" {
		t.Errorf("request after the swap ran on %q (%v), want new", e.Qualifier, err)
	}
	close(release)
	if q := <-done; q != "old" {
		t.Errorf("in-flight request finished on %q, want old", q)
	}
	if got := g.Services()[0].Stages["release"]; got != "new" {
		t.Errorf("Services reports release -> %q, want new", got)
	}
}

// TestRequestContextReachesBackend checks that the backend gets a context
// derived from the request: cancelling the client cancels the call.
func TestRequestContextReachesBackend(t *testing.T) {
	type key struct{}
	var got any
	fb := &fakeBackend{InvokeFn: func(ctx context.Context, tg Target, _ string, ev []byte) ([]byte, error) {
		got = ctx.Value(key{})
		return echo(tg, ev)
	}}
	g := newTestGateway(t, fb, grayscale(), Options{})
	r, _ := http.NewRequestWithContext(context.WithValue(context.Background(), key{}, "marker"), "GET", "/release/hello", nil)
	g.ServeHTTP(&discardWriter{h: http.Header{}}, r)
	if got != "marker" {
		t.Errorf("Invoke's context lacks the request's values: got %v", got)
	}
}

// discardWriter is a ResponseWriter that keeps only its headers.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
