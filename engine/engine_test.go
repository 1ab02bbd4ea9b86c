package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// fakeRegistry knows function "B" (event) with versions $LATEST and "1", and
// "web" (http).
type fakeRegistry struct {
	latestHash string
	subscriber func(registry.Change)
}

func (f *fakeRegistry) Resolve(name, qualifier string, _ registry.Keys) (registry.Decision, registry.FunctionConfig, error) {
	switch {
	case name != "B" && name != "web":
		return registry.Decision{}, registry.FunctionConfig{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, name)
	case qualifier == "nope":
		return registry.Decision{}, registry.FunctionConfig{}, fmt.Errorf("%w: %s", registry.ErrAliasNotFound, qualifier)
	}
	return registry.Decision{Version: "1", Route: registry.RoutePrimary, Alias: qualifier}, registry.FunctionConfig{Type: f.typ(name)}, nil
}

func (f *fakeRegistry) typ(name string) string {
	if name == "web" {
		return registry.TypeHTTP
	}
	return registry.TypeEvent
}

func (f *fakeRegistry) Version(name, version string) (registry.Version, error) {
	if version != "1" && version != registry.Latest {
		return registry.Version{}, fmt.Errorf("%w: %s", registry.ErrVersionNotFound, version)
	}
	hash := "h1"
	if version == registry.Latest {
		hash = f.latestHash
	}
	return registry.Version{Function: name, Version: version, CodeHash: hash, CodeDir: "/code/" + hash,
		Config: registry.FunctionConfig{Runtime: "Python3.9", Type: f.typ(name), Timeout: 3, MemorySize: 128}}, nil
}

func (f *fakeRegistry) Subscribe(fn func(registry.Change)) { f.subscriber = fn }

// fakeRunner records what the engine asks of the runtime.
type fakeRunner struct {
	mu       sync.Mutex // guards the fields below
	invoked  []runtime.Spec
	retired  []runtime.Spec // specs of live pools that a Retire matched
	prewarms []runtime.Spec
	live     []runtime.Spec
	calls    []string // "retire" and "prewarm", in order
	prewarm  chan struct{}
}

func (f *fakeRunner) Invoke(_ context.Context, spec runtime.Spec, inv runtime.Invocation) (runtime.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoked = append(f.invoked, spec)
	return runtime.Result{Payload: inv.Event}, nil
}

func (f *fakeRunner) Serve(ctx context.Context, spec runtime.Spec, fn func(context.Context, string) error) (bool, error) {
	return false, fn(ctx, "127.0.0.1:1")
}

func (f *fakeRunner) Retire(match func(runtime.Spec) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "retire")
	for _, s := range f.live {
		if match(s) {
			f.retired = append(f.retired, s)
		}
	}
}

func (f *fakeRunner) Prewarm(_ context.Context, spec runtime.Spec) error {
	f.mu.Lock()
	f.prewarms = append(f.prewarms, spec)
	f.calls = append(f.calls, "prewarm")
	f.mu.Unlock()
	f.prewarm <- struct{}{}
	return nil
}

func (f *fakeRunner) Stats() []runtime.PoolStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []runtime.PoolStats
	for _, s := range f.live {
		out = append(out, runtime.PoolStats{Spec: s, Live: 1})
	}
	return out
}

func TestInvokeEvent(t *testing.T) {
	reg := &fakeRegistry{latestHash: "h2"}
	run := &fakeRunner{}
	e := New(reg, run, Options{})
	defer e.Close()
	tests := []struct {
		name, function, version string
		event                   []byte
		wantStatus              int
		wantErr                 error
	}{
		{"runs the version's code", "B", "1", []byte(`{"a":1}`), 200, nil},
		{"event over 6 MB", "B", "1", make([]byte, MaxEventBytes+1), 406, nil},
		{"unknown version is 442", "B", "9", []byte(`{}`), 442, registry.ErrVersionNotFound},
		{"web function", "web", "1", []byte(`{}`), 500, registry.ErrFunctionType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.InvokeEvent(t.Context(), tc.function, tc.version, "req", tc.event)
			if got := scferr.Status(err); got != tc.wantStatus {
				t.Fatalf("status = %d (%v), want %d", got, err, tc.wantStatus)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v in the chain", err, tc.wantErr)
			}
			if err == nil && string(res.Payload) != string(tc.event) {
				t.Fatalf("payload = %s", res.Payload)
			}
		})
	}
	if len(run.invoked) != 1 || run.invoked[0].CodeDir != "/code/h1" || run.invoked[0].TimeoutSec != 3 {
		t.Errorf("runtime got %+v, want one spec for /code/h1", run.invoked)
	}
}

func TestResolveClassifies(t *testing.T) {
	e := New(&fakeRegistry{}, &fakeRunner{}, Options{})
	defer e.Close()
	_, err := e.Resolve("X", "", nil)
	if scferr.Status(err) != 435 || !errors.Is(err, registry.ErrFunctionNotFound) {
		t.Errorf("unknown function: %v (status %d)", err, scferr.Status(err))
	}
	_, err = e.Resolve("B", "nope", nil)
	if scferr.Status(err) != 442 || !errors.Is(err, registry.ErrAliasNotFound) {
		t.Errorf("unknown alias: %v (status %d)", err, scferr.Status(err))
	}
}

func TestReloadRetiresOldLatestAndPrewarmsNew(t *testing.T) {
	reg := &fakeRegistry{latestHash: "new"}
	run := &fakeRunner{prewarm: make(chan struct{}, 1), live: []runtime.Spec{
		{Function: "B", Version: registry.Latest, CodeHash: "old"},
		{Function: "B", Version: "1", CodeHash: "h1"},
		{Function: "C", Version: registry.Latest, CodeHash: "old"},
	}}
	e := New(reg, run, Options{})
	defer e.Close()
	reg.subscriber(registry.Change{Kind: registry.ChangeLatest, Function: "B", Version: registry.Latest,
		Previous: registry.Version{CodeHash: "old"}})
	select {
	case <-run.prewarm:
	case <-time.After(5 * time.Second):
		t.Fatal("no pre-warm after reloading a warm $LATEST")
	}
	e.Close() // waits for the background pre-warm and the retire after it
	run.mu.Lock()
	defer run.mu.Unlock()
	if len(run.retired) != 1 || run.retired[0].Function != "B" || run.retired[0].CodeHash != "old" {
		t.Errorf("retired %+v, want only B $LATEST@old", run.retired)
	}
	if len(run.prewarms) != 1 || run.prewarms[0].CodeHash != "new" {
		t.Errorf("pre-warmed %+v, want B $LATEST@new", run.prewarms)
	}
	// The old instances stay until the new one is up, so that removing
	// them does not slow its start.
	if want := []string{"prewarm", "retire"}; !slices.Equal(run.calls, want) {
		t.Errorf("calls %v, want %v", run.calls, want)
	}
}

func TestReloadOfColdFunctionDoesNotPrewarm(t *testing.T) {
	reg := &fakeRegistry{latestHash: "new"}
	run := &fakeRunner{prewarm: make(chan struct{}, 1)}
	e := New(reg, run, Options{})
	reg.subscriber(registry.Change{Kind: registry.ChangeLatest, Function: "B", Previous: registry.Version{CodeHash: "old"}})
	e.Close() // waits for any background work
	if len(run.prewarms) != 0 {
		t.Errorf("pre-warmed %+v for a function nobody used", run.prewarms)
	}
	if want := []string{"retire"}; !slices.Equal(run.calls, want) {
		t.Errorf("calls %v, want %v", run.calls, want)
	}
}

func TestVersionDeleteRetiresIt(t *testing.T) {
	reg := &fakeRegistry{}
	run := &fakeRunner{live: []runtime.Spec{{Function: "B", Version: "1"}, {Function: "B", Version: "2"}}}
	e := New(reg, run, Options{})
	defer e.Close()
	reg.subscriber(registry.Change{Kind: registry.ChangeVersionDeleted, Function: "B", Version: "2"})
	if len(run.retired) != 1 || run.retired[0].Version != "2" {
		t.Errorf("retired %+v, want version 2 only", run.retired)
	}
}
