package eventsource

import (
	"context"
	"fmt"
	"sync"

	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// fakeRegistry holds a fixed trigger list.
type fakeRegistry struct {
	mu       sync.Mutex // guards triggers and subs
	triggers []registry.Trigger
	subs     []func(registry.Change)
}

func (f *fakeRegistry) AllTriggers() []registry.Trigger {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]registry.Trigger(nil), f.triggers...)
}

func (f *fakeRegistry) Triggers(function string) ([]registry.Trigger, error) {
	var out []registry.Trigger
	for _, t := range f.AllTriggers() {
		if t.Function == function {
			out = append(out, t)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, function)
	}
	return out, nil
}

func (f *fakeRegistry) Subscribe(fn func(registry.Change)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, fn)
}

// fakeEngine answers every function in answers (a nil-error answer is a
// success with that payload) and records the requests it was sent.
type fakeEngine struct {
	answers map[string]fakeAnswer // by function; others are not found
	calls   chan engine.Request   // every Invoke, buffered

	mu   sync.Mutex // guards seen
	seen []engine.Request
}

type fakeAnswer struct {
	payload string
	err     error // the function's failure (Outcome.Err)
}

func newFakeEngine(answers map[string]fakeAnswer) *fakeEngine {
	return &fakeEngine{answers: answers, calls: make(chan engine.Request, 64)}
}

func (f *fakeEngine) Resolve(function, qualifier string, _ registry.Keys) (engine.Target, error) {
	if _, ok := f.answers[function]; !ok {
		return engine.Target{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, function)
	}
	return engine.Target{Function: function, Qualifier: qualifier, Decision: registry.Decision{Version: "1"}}, nil
}

func (f *fakeEngine) Invoke(_ context.Context, req engine.Request) (engine.Outcome, error) {
	f.mu.Lock()
	f.seen = append(f.seen, req)
	f.mu.Unlock()
	select {
	case f.calls <- req:
	default:
	}
	t, err := f.Resolve(req.Function, req.Qualifier, req.Keys)
	if err != nil {
		return engine.Outcome{}, err
	}
	a := f.answers[req.Function]
	id := req.RequestID
	if id == "" {
		id = "req-1"
	}
	return engine.Outcome{RequestID: id, Target: t, Result: runtime.Result{Payload: []byte(a.payload)}, Err: a.err}, nil
}

func (f *fakeEngine) requests() []engine.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Request(nil), f.seen...)
}
