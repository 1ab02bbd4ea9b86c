package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeBackend is a hand-written Backend whose behaviour each test sets
// through the Fn fields; nil fields get the defaults below.
type fakeBackend struct {
	ResolveFn func(ctx context.Context, function, qualifier string, header http.Header) (Target, error)
	InvokeFn  func(ctx context.Context, t Target, requestID string, event []byte) ([]byte, error)
	ServeFn   func(ctx context.Context, t Target, requestID string, fn func(ctx context.Context, addr string) error) error

	mu     sync.Mutex // guards events
	events [][]byte   // every event Invoke received
}

func (f *fakeBackend) Resolve(ctx context.Context, function, qualifier string, header http.Header) (Target, error) {
	if f.ResolveFn != nil {
		return f.ResolveFn(ctx, function, qualifier, header)
	}
	return Target{Function: function, Namespace: "default", Qualifier: qualifier, Version: "1",
		Route: "primary", Type: TypeEvent, MemoryMB: 128, TimeoutSec: 3}, nil
}

func (f *fakeBackend) Invoke(ctx context.Context, t Target, requestID string, event []byte) ([]byte, error) {
	f.mu.Lock()
	f.events = append(f.events, event)
	f.mu.Unlock()
	if f.InvokeFn != nil {
		return f.InvokeFn(ctx, t, requestID, event)
	}
	return echo(t, event)
}

func (f *fakeBackend) Serve(ctx context.Context, t Target, requestID string, fn func(ctx context.Context, addr string) error) error {
	if f.ServeFn != nil {
		return f.ServeFn(ctx, t, requestID, fn)
	}
	return fmt.Errorf("fake backend has no web function")
}

func (f *fakeBackend) lastEvent(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("Invoke was not called")
	}
	var ev map[string]any
	if err := json.Unmarshal(f.events[len(f.events)-1], &ev); err != nil {
		t.Fatalf("event is not json: %v", err)
	}
	return ev
}

// echoed is what the default event function answers in its body.
type echoed struct {
	Function, Qualifier, Version string
	Path                         string            `json:"path"`
	PathParameters               map[string]string `json:"pathParameters"`
	Stage                        string
	Template                     string
}

// echo is the default event function: an integration response whose body
// tells the test what arrived.
func echo(t Target, event []byte) ([]byte, error) {
	var ev struct {
		Path           string            `json:"path"`
		PathParameters map[string]string `json:"pathParameters"`
		RequestContext struct {
			Stage string `json:"stage"`
			Path  string `json:"path"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	body, err := json.Marshal(echoed{Function: t.Function, Qualifier: t.Qualifier, Version: t.Version,
		Path: ev.Path, PathParameters: ev.PathParameters, Stage: ev.RequestContext.Stage, Template: ev.RequestContext.Path})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)})
}

// sequentialIDs makes request ids predictable: id-1, id-2 ...
func sequentialIDs(g *Gateway) {
	var n atomic.Int64
	g.newID = func() string { return fmt.Sprintf("id-%d", n.Add(1)) }
}

// grayscale is the user's scenario: service A with three stages.
func grayscale() []Service {
	return []Service{{
		Name:   "A",
		Stages: map[string]string{"release": "release", "prepub": "prepub", "dev": "$DEFAULT"},
		APIs: []API{
			{Path: "/hello", Method: "ANY", Function: "B"},
			{Path: "/users/{id}", Method: "GET", Function: "B", Stages: map[string]string{"release": "1"}},
		},
	}}
}

func newTestGateway(t *testing.T, b Backend, svcs []Service, opts Options) *Gateway {
	t.Helper()
	g := New(b, opts)
	t.Cleanup(func() { _ = g.Close() })
	if err := g.SetServices(svcs); err != nil {
		t.Fatalf("SetServices: %v", err)
	}
	return g
}

// do runs one request through the gateway in-process.
func do(g http.Handler, method, target string, body io.Reader, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}
