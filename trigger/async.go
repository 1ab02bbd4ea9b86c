package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Async invocation bounds, as the platform's AsyncTriggerConfig has them.
const (
	DefaultRetryNum = 2
	MaxRetryNum     = 2
	MinMsgTTL       = 60 * time.Second
	MaxMsgTTL       = 6 * time.Hour
	DefaultMsgTTL   = MaxMsgTTL
	// DefaultRetryDelay is the first retry's delay locally; it doubles for
	// the next. The platform waits minutes; a local loop wants seconds.
	DefaultRetryDelay = time.Second
	// MaxAsyncEvents bounds the finished events kept for ListAsyncEvents.
	MaxAsyncEvents = 1000
)

// Async event statuses, as ListAsyncEvents reports them.
const (
	StatusRunning  = "RUNNING"
	StatusFinished = "FINISHED"
	StatusAborted  = "ABORTED"
	StatusFailed   = "FAILED"
)

// Errors of Terminate.
var (
	ErrEventNotFound = errors.New("async event not found")
	ErrEventDone     = errors.New("async event already ended")
)

// AsyncPolicy is a function's async configuration.
type AsyncPolicy struct {
	RetryNum   int           // retries after the first attempt, 0 to MaxRetryNum
	MsgTTL     time.Duration // no retry starts later than this after the event arrived
	RetryDelay time.Duration // first retry's delay, doubling; DefaultRetryDelay when 0
	// DeadLetter is where an event that failed every attempt goes: ""
	// for the local dead-letter log, else a function that is sent it.
	DeadLetter string `json:",omitempty"`
}

// DefaultAsyncPolicy is the platform's default: 2 retries, 6 h TTL.
func DefaultAsyncPolicy() AsyncPolicy {
	return AsyncPolicy{RetryNum: DefaultRetryNum, MsgTTL: DefaultMsgTTL}
}

// Check reports a policy out of the platform's bounds.
func (p AsyncPolicy) Check() error {
	if p.RetryNum < 0 || p.RetryNum > MaxRetryNum {
		return fmt.Errorf("RetryNum %d must be 0 to %d", p.RetryNum, MaxRetryNum)
	}
	if p.MsgTTL < MinMsgTTL || p.MsgTTL > MaxMsgTTL {
		return fmt.Errorf("MsgTTL %d s must be %d to %d seconds", int(p.MsgTTL/time.Second), int(MinMsgTTL/time.Second), int(MaxMsgTTL/time.Second))
	}
	return nil
}

// AsyncEvent is one async invocation and its fate.
type AsyncEvent struct {
	RequestID  string
	Function   string
	Qualifier  string
	InvokeType string // "Event" for the cloud API, else the trigger type: timer, cos, cmq
	Trigger    string // the trigger's name, "" for the cloud API
	Status     string
	StatusCode int // the last attempt's SCF status
	Retries    int // attempts after the first
	StartTime  time.Time
	EndTime    time.Time // zero while running
	Err        string    // the last failure
}

// Attempt runs one attempt (0 is the first, then the retry number) and
// returns the SCF status and the function's failure.
type Attempt func(ctx context.Context, retry int) (status int, err error)

// DeadLetter receives an event whose attempts all failed.
type DeadLetter func(ctx context.Context, ev AsyncEvent)

// Async runs async invocations with the platform's retry semantics and
// keeps their status.
type Async struct {
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex // guards events and order
	events map[string]*asyncEntry
	order  []string // request ids, oldest first
}

type asyncEntry struct {
	ev     AsyncEvent
	cancel context.CancelFunc
}

// NewAsync returns an async runner; Close stops it.
func NewAsync(log *slog.Logger) *Async {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Async{log: log, ctx: ctx, cancel: cancel, events: map[string]*asyncEntry{}}
}

// Close aborts the events still running and waits for them.
func (a *Async) Close() {
	a.cancel()
	a.wg.Wait()
}

// Submit starts event ev (RequestID, Function, Qualifier, InvokeType,
// Trigger set) and returns at once. Attempts follow pol; when every one
// failed and the TTL allows no more, dead receives the event.
func (a *Async) Submit(ev AsyncEvent, pol AsyncPolicy, run Attempt, dead DeadLetter) {
	if pol.RetryDelay <= 0 {
		pol.RetryDelay = DefaultRetryDelay
	}
	if pol.MsgTTL <= 0 {
		pol.MsgTTL = DefaultMsgTTL
	}
	ctx, cancel := context.WithCancel(a.ctx)
	ev.Status, ev.StartTime = StatusRunning, time.Now()
	a.mu.Lock()
	a.events[ev.RequestID] = &asyncEntry{ev: ev, cancel: cancel}
	a.order = append(a.order, ev.RequestID)
	a.trimLocked()
	a.mu.Unlock()
	a.wg.Go(func() {
		defer cancel()
		a.finish(ctx, a.attempts(ctx, ev, pol, run), dead)
	})
}

// attempts runs the attempts and returns the event as they left it.
func (a *Async) attempts(ctx context.Context, ev AsyncEvent, pol AsyncPolicy, run Attempt) AsyncEvent {
	delay := pol.RetryDelay
	for retry := 0; ; retry++ {
		status, err := run(ctx, retry)
		ev.Retries, ev.StatusCode = retry, status
		switch {
		case ctx.Err() != nil:
			ev.Status = StatusAborted
			return ev
		case err == nil:
			ev.Status = StatusFinished
			return ev
		}
		ev.Err = err.Error()
		if retry >= pol.RetryNum || time.Since(ev.StartTime)+delay > pol.MsgTTL {
			ev.Status = StatusFailed
			return ev
		}
		a.update(ev)
		select {
		case <-ctx.Done():
			ev.Status = StatusAborted
			return ev
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (a *Async) update(ev AsyncEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.events[ev.RequestID]; e != nil {
		e.ev = ev
	}
}

func (a *Async) finish(ctx context.Context, ev AsyncEvent, dead DeadLetter) {
	ev.EndTime = time.Now()
	a.update(ev)
	a.log.Debug("async event ended", "request_id", ev.RequestID, "function", ev.Function, "status", ev.Status, "retries", ev.Retries)
	if ev.Status == StatusFailed && dead != nil {
		dead(context.WithoutCancel(ctx), ev)
	}
}

// trimLocked forgets the oldest ended events beyond MaxAsyncEvents.
func (a *Async) trimLocked() {
	for i := 0; len(a.order) > MaxAsyncEvents && i < len(a.order); {
		id := a.order[i]
		if e := a.events[id]; e != nil && e.ev.Status == StatusRunning {
			i++
			continue
		}
		delete(a.events, id)
		a.order = slices.Delete(a.order, i, i+1)
	}
}

// Get returns event id.
func (a *Async) Get(id string) (AsyncEvent, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.events[id]
	if !ok {
		return AsyncEvent{}, false
	}
	return e.ev, true
}

// List returns the events keep accepts, newest first.
func (a *Async) List(keep func(AsyncEvent) bool) []AsyncEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []AsyncEvent
	for i := len(a.order) - 1; i >= 0; i-- {
		if ev := a.events[a.order[i]].ev; keep == nil || keep(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// Terminate aborts a running event of function: its attempt in flight is
// cancelled and no retry follows.
func (a *Async) Terminate(function, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.events[id]
	if !ok || e.ev.Function != function {
		return fmt.Errorf("%w: %s of function %s", ErrEventNotFound, id, function)
	}
	if e.ev.Status != StatusRunning {
		return fmt.Errorf("%w: %s is %s", ErrEventDone, id, e.ev.Status)
	}
	e.cancel()
	return nil
}
