package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// fakeSinks records what the engine files.
type fakeSinks struct {
	mu      sync.Mutex // guards the fields below
	appends []logstore.Record
	updates []logstore.Record
	samples []metrics.Sample
	dropped int
}

func (f *fakeSinks) Append(r logstore.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appends = append(f.appends, r)
	return nil
}

func (f *fakeSinks) Update(r logstore.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, r)
	return nil
}

func (f *fakeSinks) Observe(s metrics.Sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.samples = append(f.samples, s)
}

func (f *fakeSinks) ShadowDropped(string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped++
}

func (f *fakeSinks) snapshot() (appends, updates []logstore.Record, samples []metrics.Sample, dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]logstore.Record(nil), f.appends...), append([]logstore.Record(nil), f.updates...),
		append([]metrics.Sample(nil), f.samples...), f.dropped
}

// shadowRegistry routes every alias call of B to version 1 with a shadow
// copy to $LATEST.
type shadowRegistry struct{ fakeRegistry }

func (s *shadowRegistry) Resolve(name, q string, k registry.Keys) (registry.Decision, registry.FunctionConfig, error) {
	d, cfg, err := s.fakeRegistry.Resolve(name, q, k)
	d.Shadow = registry.Latest
	return d, cfg, err
}

func TestInvokeSequence(t *testing.T) {
	tests := []struct {
		name       string
		req        Request
		wantErr    error
		wantSource string
		wantAlias  string
	}{
		{"sync call through an alias", Request{Function: "B", Qualifier: "release", Event: []byte(`{}`)}, nil, logstore.SourceAPI, "release"},
		{"no qualifier is $DEFAULT", Request{Function: "B", Event: []byte(`{}`)}, nil, logstore.SourceAPI, registry.Default},
		{"web function refused before running", Request{Function: "web", Event: []byte(`{}`)}, registry.ErrFunctionType, "", ""},
		{"unknown function", Request{Function: "X"}, registry.ErrFunctionNotFound, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sinks, run := &fakeSinks{}, &fakeRunner{}
			e := New(&fakeRegistry{latestHash: "h2"}, run, Options{Logs: sinks, Metrics: sinks})
			defer e.Close()
			var done []Outcome
			tc.req.Done = func(o Outcome) { done = append(done, o) }
			o, err := e.Invoke(t.Context(), tc.req)
			appends, _, samples, _ := sinks.snapshot()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if len(appends)+len(samples)+len(run.invoked)+len(done) != 0 {
					t.Fatalf("a refused call left %d records, %d samples, %d runs, %d done", len(appends), len(samples), len(run.invoked), len(done))
				}
				return
			}
			if err != nil || o.Err != nil || o.RequestID == "" || o.Target.Version != "1" {
				t.Fatalf("outcome %+v, %v", o, err)
			}
			if len(done) != 1 || done[0].RequestID != o.RequestID {
				t.Fatalf("Done called %d times", len(done))
			}
			if len(appends) != 1 || appends[0].Source != tc.wantSource || appends[0].Alias != tc.wantAlias || appends[0].RequestID != o.RequestID {
				t.Fatalf("records %+v", appends)
			}
			if len(samples) != 1 || samples[0].Alias != tc.wantAlias || samples[0].Shadow {
				t.Fatalf("samples %+v", samples)
			}
			// Resolve once: the spec came from the decision, no second lookup needed.
			if len(run.invoked) != 1 || run.invoked[0].Version != "1" {
				t.Fatalf("runs %+v", run.invoked)
			}
		})
	}
}

func TestInvokeAsyncRecordsRunningThenDone(t *testing.T) {
	sinks := &fakeSinks{}
	e := New(&fakeRegistry{latestHash: "h2"}, &fakeRunner{}, Options{Logs: sinks, Metrics: sinks})
	finished := make(chan Outcome, 1)
	o, err := e.Invoke(t.Context(), Request{Function: "B", Qualifier: "release", Event: []byte(`{}`), Async: true,
		Done: func(o Outcome) { finished <- o }})
	if err != nil || o.RequestID == "" {
		t.Fatal(o, err)
	}
	select {
	case got := <-finished:
		if got.RequestID != o.RequestID {
			t.Fatalf("finished %s, started %s", got.RequestID, o.RequestID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("async call never finished")
	}
	e.Close()
	appends, updates, _, _ := sinks.snapshot()
	if len(appends) != 1 || !appends[0].Running || appends[0].Source != logstore.SourceAsync {
		t.Fatalf("running record %+v", appends)
	}
	if len(updates) != 1 || updates[0].Running || updates[0].RequestID != o.RequestID {
		t.Fatalf("final record %+v", updates)
	}
}

// blockingRunner holds every invocation until release is closed.
type blockingRunner struct {
	fakeRunner
	release chan struct{}
}

func (b *blockingRunner) Invoke(ctx context.Context, spec runtime.Spec, inv runtime.Invocation) (runtime.Result, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return runtime.Result{Payload: inv.Event}, nil
}

func TestShadowCopiesAreBounded(t *testing.T) {
	sinks := &fakeSinks{}
	run := &blockingRunner{release: make(chan struct{})}
	e := New(&shadowRegistry{fakeRegistry{latestHash: "h2"}}, run, Options{Logs: sinks, Metrics: sinks})
	const calls = MaxShadowCopies + 8
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			_, _ = e.Invoke(t.Context(), Request{Function: "B", Qualifier: "release", Event: []byte(`{}`), Async: true})
		})
	}
	wg.Wait()
	_, _, _, dropped := sinks.snapshot()
	if dropped != calls-MaxShadowCopies {
		t.Errorf("dropped %d copies, want %d (bound %d)", dropped, calls-MaxShadowCopies, MaxShadowCopies)
	}
	close(run.release)
	e.Close()
	_, _, samples, _ := sinks.snapshot()
	shadows := 0
	for _, s := range samples {
		if s.Shadow {
			shadows++
			if s.Version != registry.Latest {
				t.Errorf("shadow copy ran %s, want $LATEST", s.Version)
			}
		}
	}
	if shadows != MaxShadowCopies {
		t.Errorf("%d shadow copies recorded, want %d", shadows, MaxShadowCopies)
	}
}
