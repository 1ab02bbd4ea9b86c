package eventsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/atomicfile"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
	"github.com/scf-emulator/emulator/trigger"
)

const (
	// AsyncFile holds the per-function async policies, in the state dir.
	AsyncFile = "async.json"
	// DeadLetterFile is the log of dead letters, in the state dir: async
	// events whose attempts all failed, one JSON object a line.
	DeadLetterFile = "dlq.jsonl"
)

// Registry is what a Rig reads from the registry: the triggers, and word
// of their changes. *registry.Registry satisfies it.
type Registry interface {
	TriggerLister
	// Triggers returns function's triggers, or an error wrapping
	// registry.ErrFunctionNotFound.
	Triggers(function string) ([]registry.Trigger, error)
	// Subscribe calls fn after each committed change; fn must not call
	// back into the registry.
	Subscribe(fn func(registry.Change))
}

// TriggerLister lists every function's triggers.
type TriggerLister interface {
	AllTriggers() []registry.Trigger
}

// Invoker runs one invocation: resolve, run, record. *engine.Engine
// satisfies it.
type Invoker interface {
	Invoke(ctx context.Context, req engine.Request) (engine.Outcome, error)
}

// Engine is what a Rig needs from the engine: invocations, and routing
// checked up front so an async event for an unknown function is refused
// at once. *engine.Engine satisfies it.
type Engine interface {
	Invoker
	Resolve(function, qualifier string, keys registry.Keys) (engine.Target, error)
}

// Rig runs the non-gateway triggers the registry holds: timers on a
// scheduler, COS triggers on bucket folders, CKafka and CMQ triggers on a
// topic broker; and async events with the platform's retries.
type Rig struct {
	reg      Registry
	eng      Engine
	log      *slog.Logger
	stateDir string
	sched    *trigger.Scheduler
	broker   *trigger.Broker
	async    *trigger.Async
	poke     chan struct{} // a trigger changed; buffered 1
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu       sync.Mutex // guards active, buckets, policies and the dead-letter file
	active   map[string]registry.Trigger
	buckets  map[string]*trigger.Bucket // by folder
	policies map[string]trigger.AsyncPolicy
}

// New returns a Rig that invokes through eng the triggers reg holds, and
// keeps async policies and dead letters in stateDir. It reads the policies
// now and subscribes to reg; triggers run from Start until Close.
func New(reg Registry, eng Engine, log *slog.Logger, stateDir string) *Rig {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The rig's own lifetime: Close cancels it. No request owns it.
	ctx, cancel := context.WithCancel(context.Background())
	r := &Rig{reg: reg, eng: eng, log: log, stateDir: stateDir, sched: trigger.NewScheduler(trigger.RealClock{}, log),
		broker: trigger.NewBroker(0, log), async: trigger.NewAsync(log), poke: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
		active: map[string]registry.Trigger{}, buckets: map[string]*trigger.Bucket{}, policies: map[string]trigger.AsyncPolicy{}}
	reg.Subscribe(r.onChange)
	if b, err := os.ReadFile(filepath.Join(stateDir, AsyncFile)); err == nil {
		if err := json.Unmarshal(b, &r.policies); err != nil {
			log.Warn("async policies unreadable; using defaults", "file", AsyncFile, "err", err)
		}
	}
	return r
}

// Start runs the scheduler and the sync loop until Close.
func (r *Rig) Start() {
	r.wg.Go(func() { _ = r.sched.Run(r.ctx) })
	r.wg.Go(func() {
		for {
			r.sync()
			select {
			case <-r.ctx.Done():
				return
			case <-r.poke:
			}
		}
	})
}

// onChange is a registry subscriber: it must not call back into the
// registry, so it only wakes the sync loop.
func (r *Rig) onChange(c registry.Change) {
	switch c.Kind {
	case registry.ChangeTrigger, registry.ChangeFunctionDeleted, registry.ChangeFunctionParked, registry.ChangeFunctionRestored:
		select {
		case r.poke <- struct{}{}:
		default:
		}
	}
}

// Close stops every trigger and waits for the rig's goroutines; in-flight
// async events end first. A nil Rig is a no-op.
func (r *Rig) Close() {
	if r == nil {
		return
	}
	r.cancel()
	r.mu.Lock()
	for _, b := range r.buckets {
		_ = b.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.broker.Close()
	r.async.Close()
}

// sync makes the running triggers those the registry holds enabled.
func (r *Rig) sync() {
	want := map[string]registry.Trigger{}
	for _, t := range r.reg.AllTriggers() {
		if t.Enabled && t.Type != registry.TriggerAPIGateway && t.Type != registry.TriggerCLB {
			want[t.Function+"/"+t.Name] = t
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, t := range r.active {
		if w, ok := want[id]; !ok || w.ModTime != t.ModTime || w.Qualifier != t.Qualifier {
			r.stopLocked(id, t)
		}
	}
	for id, t := range want {
		if _, ok := r.active[id]; ok {
			continue
		}
		if err := r.startLocked(id, t); err != nil {
			r.log.Warn("trigger not started", "function", t.Function, "trigger", t.Name, "err", err)
			continue
		}
		r.active[id] = t
	}
}

func (r *Rig) stopLocked(id string, t registry.Trigger) {
	delete(r.active, id)
	switch t.Type {
	case registry.TriggerTimer:
		r.sched.Remove(id)
	case registry.TriggerCKafka, registry.TriggerCMQ:
		r.broker.Unsubscribe(id)
	case registry.TriggerCOS:
		if b := r.buckets[t.Bucket]; b != nil && b.Unsubscribe(id) == 0 {
			_ = b.Close()
			delete(r.buckets, t.Bucket)
		}
	}
}

func (r *Rig) startLocked(id string, t registry.Trigger) error {
	switch t.Type {
	case registry.TriggerTimer:
		c, err := trigger.ParseCron(t.Cron)
		if err != nil {
			return err
		}
		r.sched.Set(id, c, func(ctx context.Context, at time.Time) { r.fireTimer(t, at) })
	case registry.TriggerCKafka, registry.TriggerCMQ:
		r.broker.Subscribe(trigger.TopicSub{ID: id, Function: t.Function, Kind: t.Type, Topic: t.Topic, Batch: t.Batch,
			MaxWait: time.Duration(t.MaxWaitMs) * time.Millisecond, Retry: t.Retry,
			Deliver: func(ctx context.Context, ev any) error { return r.invokeNow(ctx, t, ev) }})
	case registry.TriggerCOS:
		b := r.buckets[t.Bucket]
		if b == nil {
			if err := os.MkdirAll(t.Bucket, 0o755); err != nil {
				return err
			}
			nb, err := trigger.NewBucket(t.Bucket, trigger.BucketOptions{Log: r.log, OnLoop: func(rep trigger.LoopReport) {
				r.log.Error("cos trigger loop stopped", "err", rep.Err)
			}})
			if err != nil {
				return err
			}
			b = nb
			r.buckets[t.Bucket] = b
			r.wg.Go(func() { _ = b.Run(r.ctx) })
		}
		b.Subscribe(trigger.COSSub{ID: id, Function: t.Function, Filter: trigger.COSFilter{Events: t.Events, Prefix: t.Prefix, Suffix: t.Suffix},
			Deliver: func(ctx context.Context, ev trigger.COSEvent) error { return r.invokeAsyncWait(ctx, t, ev) }})
	}
	return nil
}

func (r *Rig) fireTimer(t registry.Trigger, at time.Time) {
	if _, err := r.Submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.NewTimerEvent(t.Name, t.Message, at), nil); err != nil {
		r.log.Warn("timer not fired", "function", t.Function, "trigger", t.Name, "err", err)
	}
}

// invokeNow runs one synchronous invocation for a message batch: the
// broker applies the trigger's own retry.
func (r *Rig) invokeNow(ctx context.Context, t registry.Trigger, ev any) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	o, err := r.eng.Invoke(ctx, engine.Request{Function: t.Function, Qualifier: t.Qualifier, Event: body, Source: t.Type, Trigger: t.Name})
	return errors.Join(err, o.Err)
}

// invokeAsyncWait submits an async event and waits for its end, so that
// the bucket knows how long the function may still write.
func (r *Rig) invokeAsyncWait(ctx context.Context, t registry.Trigger, ev any) error {
	done := make(chan struct{})
	if _, err := r.Submit(t.Function, t.Qualifier, t.Type, t.Name, ev, done); err != nil {
		return err
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// Submit starts an async event and returns its request id: the function's
// policy decides retries and TTL; a failed event goes to the dead-letter
// log. invokeType is "Event" for the cloud API, else the trigger type. ev
// is a JSON body as []byte, or a value to marshal. done, if not nil, is
// closed once the event has ended.
func (r *Rig) Submit(function, qualifier, invokeType, trig string, ev any, done chan struct{}) (string, error) {
	body, ok := ev.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(ev); err != nil {
			return "", err
		}
	}
	if qualifier == "" {
		qualifier = registry.Default
	}
	if _, err := r.eng.Resolve(function, qualifier, nil); err != nil {
		return "", err
	}
	id := uuid.NewString()
	pol := r.Policy(function)
	source := invokeType
	if invokeType == "Event" {
		source = "async"
	}
	r.async.Submit(trigger.AsyncEvent{RequestID: id, Function: function, Qualifier: qualifier, InvokeType: invokeType, Trigger: trig}, pol,
		func(ctx context.Context, retry int) (int, error) {
			o, err := r.eng.Invoke(ctx, engine.Request{Function: function, Qualifier: qualifier, Event: body, Source: source,
				Trigger: trig, RequestID: id, RetryNum: retry, Running: true})
			err = errors.Join(err, o.Err)
			return scferr.Status(err), err
		}, func(ctx context.Context, ev trigger.AsyncEvent) {
			r.deadLetter(pol, ev, body)
		})
	if done != nil {
		r.wg.Go(func() {
			defer close(done)
			for r.ctx.Err() == nil {
				if ev, ok := r.async.Get(id); !ok || ev.Status != trigger.StatusRunning {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	return id, nil
}

// Fire fires trigger name of function now, as its source would.
func (r *Rig) Fire(function, name string) (string, error) {
	ts, err := r.reg.Triggers(function)
	if err != nil {
		return "", err
	}
	for _, t := range ts {
		if t.Name != name {
			continue
		}
		switch t.Type {
		case registry.TriggerTimer:
			return r.Submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.NewTimerEvent(t.Name, t.Message, time.Now()), nil)
		case registry.TriggerCOS:
			rec := trigger.NewCOSRecord(trigger.COSChange{Event: trigger.COSCreatedPut, Bucket: filepath.Base(t.Bucket),
				Region: trigger.DefaultRegion, AppID: trigger.DefaultAppID, Key: t.Prefix + "test" + t.Suffix, Time: time.Now()})
			return r.Submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.COSEvent{Records: []trigger.COSRecord{rec}}, nil)
		default:
			return "", fmt.Errorf("%s trigger %s fires from its source: use `emulator send %s %s MESSAGE`", t.Type, name, t.Type, t.Topic)
		}
	}
	return "", fmt.Errorf("%w: %s of function %s", registry.ErrTriggerNotFound, name, function)
}

// Send publishes messages to a CKafka or CMQ topic.
func (r *Rig) Send(kind, topic string, msgs []trigger.Message) ([]trigger.Published, error) {
	return r.broker.Publish(kind, topic, msgs)
}

// The api.AsyncEvents methods.

func (r *Rig) Events() []trigger.AsyncEvent               { return r.async.List(nil) }
func (r *Rig) Event(id string) (trigger.AsyncEvent, bool) { return r.async.Get(id) }
func (r *Rig) Terminate(function, id string) error        { return r.async.Terminate(function, id) }
func (r *Rig) Policy(function string) trigger.AsyncPolicy {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.policies[function]; ok {
		return p
	}
	return trigger.DefaultAsyncPolicy()
}

// SetPolicy stores function's policy in the state dir, atomically.
func (r *Rig) SetPolicy(function string, p trigger.AsyncPolicy) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[string]trigger.AsyncPolicy{function: p}
	for k, v := range r.policies {
		if k != function {
			next[k] = v
		}
	}
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(r.stateDir, AsyncFile, b); err != nil {
		return err
	}
	r.policies = next
	return nil
}
