package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
)

// run is one function run the fake backend saw.
type run struct {
	Function, Qualifier, Version, Path string
}

// fakeBackend serves event functions whose versions answer with the
// function's Answers; a version missing there does not exist.
type fakeBackend struct {
	// Answers maps a version to the name its function answers with, in
	// {"name": ...}; "" answers an error, "panic" panics.
	Answers map[string]string
	// OnInvoke, when set, runs first on every Invoke.
	OnInvoke func(ctx context.Context, r run)

	mu   sync.Mutex // guards runs
	runs []run      // every Invoke, in order
}

var _ Backend = (*fakeBackend)(nil)

func (f *fakeBackend) Direct(fn, q, v string) (gateway.Target, error) {
	if _, ok := f.Answers[v]; !ok {
		return gateway.Target{}, fmt.Errorf("version %s of %s: %w", v, fn, registry.ErrVersionNotFound)
	}
	return gateway.Target{Function: fn, Namespace: "default", Qualifier: q, Version: v, Route: "direct",
		Type: gateway.TypeEvent, MemoryMB: 128, TimeoutSec: 3}, nil
}

func (f *fakeBackend) Invoke(ctx context.Context, t gateway.Target, _ string, event []byte) ([]byte, error) {
	var ev struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	r := run{Function: t.Function, Qualifier: t.Qualifier, Version: t.Version, Path: ev.Path}
	f.mu.Lock()
	f.runs = append(f.runs, r)
	f.mu.Unlock()
	if f.OnInvoke != nil {
		f.OnInvoke(ctx, r)
	}
	switch name := f.Answers[t.Version]; name {
	case "":
		return nil, fmt.Errorf("version %s crashed", t.Version)
	case "panic":
		panic("version " + t.Version + " panics")
	default:
		body, _ := json.Marshal(map[string]string{"name": name, "path": ev.Path})
		return json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)})
	}
}

func (f *fakeBackend) Serve(context.Context, gateway.Target, string, func(ctx context.Context, addr string) error) error {
	return fmt.Errorf("fake backend has no web function")
}

func (f *fakeBackend) seen() []run {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]run(nil), f.runs...)
}

// fakeAliases holds aliases by "function/name".
type fakeAliases map[string]registry.Alias

func (a fakeAliases) Alias(fn, name string) (registry.Alias, error) {
	al, ok := a[fn+"/"+name]
	if !ok {
		return registry.Alias{}, fmt.Errorf("alias %s of %s: %w", name, fn, registry.ErrAliasNotFound)
	}
	return al, nil
}

// fakeRoutes is a live gateway's table, as given.
type fakeRoutes struct {
	services []gateway.Service
	routes   map[string][]gateway.Route // by function
}

func (r fakeRoutes) Services() []gateway.Service      { return r.services }
func (r fakeRoutes) Routes(fn string) []gateway.Route { return r.routes[fn] }

// fakeStore keeps the samples added.
type fakeStore struct {
	mu      sync.Mutex // guards samples
	samples []diff.Sample
}

func (s *fakeStore) Add(smp diff.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, smp)
}

func (s *fakeStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.samples)
}

// twoServices: service A serves B at /users/{id} on stage release (alias
// release) and on stage v1 (version 1 itself); service C serves D at /.
func twoServices() fakeRoutes {
	return fakeRoutes{
		services: []gateway.Service{
			{Name: "A", Stages: map[string]string{"release": "release", "v1": "1"},
				APIs: []gateway.API{{Path: "/users/{id}", Method: "GET", Function: "B"}}},
			{Name: "C", Stages: map[string]string{"release": "release"},
				APIs: []gateway.API{{Path: "/", Method: "ANY", Function: "D"}}},
		},
		routes: map[string][]gateway.Route{
			"B": {{Service: "A", Stage: "release", Path: "/users/{id}", Method: "GET", Qualifier: "release"},
				{Service: "A", Stage: "v1", Path: "/users/{id}", Method: "GET", Qualifier: "1"}},
			"D": {{Service: "C", Stage: "release", Path: "/", Method: "ANY", Qualifier: "release"}},
		},
	}
}
