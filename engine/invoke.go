package engine

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// Run invokes an event function's routed version with one event and records
// the outcome under c.
func (e *Engine) Run(ctx context.Context, t Target, c Call, event []byte) (runtime.Result, error) {
	res, err := e.runEvent(ctx, t, c.RequestID, event)
	e.record(t, c, res, err)
	return res, err
}

// Serve lends a warm instance of a web function's routed version to fn and
// records the outcome under c.
func (e *Engine) Serve(ctx context.Context, t Target, c Call, fn func(ctx context.Context, addr string) error) error {
	var cold bool
	err := typeError(t, registry.TypeHTTP)
	if err == nil {
		cold, err = e.run.Serve(ctx, t.Spec(), fn)
	}
	e.record(t, c, runtime.Result{ColdStart: cold}, err)
	return err
}

func (e *Engine) runEvent(ctx context.Context, t Target, requestID string, event []byte) (runtime.Result, error) {
	if len(event) > MaxEventBytes {
		return runtime.Result{}, scferr.Newf(scferr.ErrRequestTooLarge, nil, "event of %d bytes is over the 6 MB limit", len(event))
	}
	if err := typeError(t, registry.TypeEvent); err != nil {
		return runtime.Result{}, err
	}
	start := time.Now()
	res, err := e.run.Invoke(ctx, t.Spec(), runtime.Invocation{RequestID: requestID, Event: event})
	e.logger.Debug("invoked", "function", t.Function, "version", t.Version, "request_id", requestID,
		"duration", time.Since(start), "status", scferr.Status(err))
	return res, err
}

// typeError refuses a target whose function is not of type want: web
// functions answer only through the gateway, event functions only by event.
func typeError(t Target, want string) error {
	switch {
	case t.Config.Type == want || (want == registry.TypeEvent && t.Config.Type == ""):
		return nil
	case want == registry.TypeEvent:
		return fmt.Errorf("%w: %s is a web function; it can only be called through the gateway", registry.ErrFunctionType, t.Function)
	default:
		return fmt.Errorf("%w: %s is an event function", registry.ErrFunctionType, t.Function)
	}
}

// Request is one invocation by name and qualifier: the cloud API's Invoke,
// a rollout hook.
type Request struct {
	Function  string
	Qualifier string        // "" means $DEFAULT
	Keys      registry.Keys // the RoutingKey values rules read; may be nil
	Event     []byte
	// Source is the record's source; "" means logstore.SourceAPI. Async
	// calls are recorded as logstore.SourceAsync.
	Source string
	// Async answers as soon as the call is routed; it runs on the engine's
	// lifetime, not the caller's.
	Async bool
	// RequestID, when set, is the invocation's id; an async retry reuses
	// its event's. "" draws a new one.
	RequestID string
	// Trigger and RetryNum say which trigger fired the call and which
	// retry of an async event it is; both go into the log record.
	Trigger  string
	RetryNum int
	// Running files a Running record when the call starts, which its end
	// replaces: what an async event's attempt shows while it runs.
	Running bool
	// Done, if set, is called with the outcome once the invocation has
	// finished: before Invoke returns, or later from the background.
	Done func(Outcome)
}

// Outcome is a finished (or, for Async, started) invocation.
type Outcome struct {
	RequestID string
	Target    Target
	Result    runtime.Result
	Err       error // the function's failure; nil when it answered
	Took      time.Duration
}

// Invoke resolves, refuses a web function, sends the alias's shadow copy,
// runs the call (or starts it, Async) and records it. The error is for a
// call that could not be routed; a function's own failure is Outcome.Err.
func (e *Engine) Invoke(ctx context.Context, req Request) (Outcome, error) {
	start := time.Now()
	if req.Qualifier == "" {
		req.Qualifier = registry.Default
	}
	t, err := e.Resolve(req.Function, req.Qualifier, req.Keys)
	if err != nil {
		return Outcome{}, err
	}
	if err := typeError(t, registry.TypeEvent); err != nil {
		return Outcome{}, err
	}
	c := Call{Source: req.Source, RequestID: req.RequestID, Start: start, Trigger: req.Trigger, RetryNum: req.RetryNum, Running: req.Running}
	if c.RequestID == "" {
		c.RequestID = uuid.NewString()
	}
	if c.Source == "" {
		c.Source = logstore.SourceAPI
	}
	var dc *diffCopy
	if t.Shadow != "" {
		dc = e.shadowCopy(t, req.Event)
	}
	finish := func(ctx context.Context) Outcome {
		res, ferr := e.Run(ctx, t, c, req.Event)
		dc.done(res, ferr)
		o := Outcome{RequestID: c.RequestID, Target: t, Result: res, Err: ferr, Took: time.Since(start)}
		if req.Done != nil {
			req.Done(o)
		}
		return o
	}
	if !req.Async {
		if c.Running {
			e.recordRunning(t, c)
		}
		return finish(ctx), nil
	}
	c.Source, c.Running = logstore.SourceAsync, true
	e.recordRunning(t, c)
	e.bg.Go(func(ctx context.Context) { finish(ctx) })
	return Outcome{RequestID: c.RequestID, Target: t}, nil
}

// shadowCopy copies an invocation of an alias to the decision's shadow
// version; in diff mode the copy's answer (and a noise sample's second
// answer of the primary) is compared with the primary's, which the
// returned diffCopy is handed once it is known (nil when not comparing, or
// when the copy was dropped).
func (e *Engine) shadowCopy(t Target, event []byte) *diffCopy {
	ev, dc := bytes.Clone(event), e.startDiff(t, event)
	sent := e.Shadow(t.Function, t.Shadow, func(ctx context.Context) {
		st, err := e.Direct(t.Function, t.Qualifier, t.Shadow, RouteShadow)
		c := Call{Source: SourceShadow, RequestID: uuid.NewString(), Start: time.Now()}
		if err != nil {
			e.record(Target{Function: t.Function, Qualifier: t.Qualifier,
				Decision: registry.Decision{Version: t.Shadow, Route: RouteShadow}}, c, runtime.Result{}, err)
			return
		}
		res, err := e.Run(ctx, st, c, ev)
		if dc == nil {
			return
		}
		var rerun *diff.Answer
		if dc.rerun {
			if rt, rerr := e.Direct(t.Function, t.Qualifier, t.Version, RouteShadow); rerr == nil {
				rres, rerr := e.Run(ctx, rt, Call{Source: SourceShadow, RequestID: uuid.NewString(), Start: time.Now()}, ev)
				a := invokeAnswer(rres, rerr)
				rerun = &a
			}
		}
		dc.finish(ctx, e.cmp, invokeAnswer(res, err), rerun)
	})
	if !sent {
		return nil
	}
	return dc
}
