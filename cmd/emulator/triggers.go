package main

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
	asyncFile = "async.json" // per-function async policies, in the state dir
	dlqFile   = "dlq.jsonl"  // dead letters: async events whose attempts all failed
)

// triggerRig runs the non-gateway triggers the registry holds: timers on a
// scheduler, COS triggers on bucket folders, CKafka and CMQ triggers on a
// topic broker; and async events with the platform's retries.
type triggerRig struct {
	reg      *registry.Registry
	eng      *engine.Engine
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

func newTriggerRig(reg *registry.Registry, eng *engine.Engine, log *slog.Logger, stateDir string) *triggerRig {
	ctx, cancel := context.WithCancel(context.Background())
	r := &triggerRig{reg: reg, eng: eng, log: log, stateDir: stateDir, sched: trigger.NewScheduler(trigger.RealClock{}, log),
		broker: trigger.NewBroker(0, log), async: trigger.NewAsync(log), poke: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
		active: map[string]registry.Trigger{}, buckets: map[string]*trigger.Bucket{}, policies: map[string]trigger.AsyncPolicy{}}
	reg.Subscribe(r.onChange)
	if b, err := os.ReadFile(filepath.Join(stateDir, asyncFile)); err == nil {
		if err := json.Unmarshal(b, &r.policies); err != nil {
			log.Warn("async policies unreadable; using defaults", "file", asyncFile, "err", err)
		}
	}
	return r
}

// start runs the scheduler and the sync loop until close.
func (r *triggerRig) start() {
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
func (r *triggerRig) onChange(c registry.Change) {
	if c.Kind == registry.ChangeTrigger || c.Kind == registry.ChangeFunctionDeleted {
		select {
		case r.poke <- struct{}{}:
		default:
		}
	}
}

func (r *triggerRig) close() {
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
func (r *triggerRig) sync() {
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

func (r *triggerRig) stopLocked(id string, t registry.Trigger) {
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

func (r *triggerRig) startLocked(id string, t registry.Trigger) error {
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

func (r *triggerRig) fireTimer(t registry.Trigger, at time.Time) {
	if _, err := r.submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.NewTimerEvent(t.Name, t.Message, at), nil); err != nil {
		r.log.Warn("timer not fired", "function", t.Function, "trigger", t.Name, "err", err)
	}
}

// invokeNow runs one synchronous invocation for a message batch: the
// broker applies the trigger's own retry.
func (r *triggerRig) invokeNow(ctx context.Context, t registry.Trigger, ev any) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	o, err := r.eng.Invoke(ctx, engine.Request{Function: t.Function, Qualifier: t.Qualifier, Event: body, Source: t.Type, Trigger: t.Name})
	return errors.Join(err, o.Err)
}

// invokeAsyncWait submits an async event and waits for its end, so that
// the bucket knows how long the function may still write.
func (r *triggerRig) invokeAsyncWait(ctx context.Context, t registry.Trigger, ev any) error {
	done := make(chan struct{})
	if _, err := r.submit(t.Function, t.Qualifier, t.Type, t.Name, ev, done); err != nil {
		return err
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// submit starts an async event: the function's policy decides retries and
// TTL; a failed event goes to the dead-letter log. invokeType is "Event"
// for the cloud API, else the trigger type.
func (r *triggerRig) submit(function, qualifier, invokeType, trig string, ev any, done chan struct{}) (string, error) {
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
func (r *triggerRig) Fire(function, name string) (string, error) {
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
			return r.submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.NewTimerEvent(t.Name, t.Message, time.Now()), nil)
		case registry.TriggerCOS:
			rec := trigger.NewCOSRecord(trigger.COSChange{Event: trigger.COSCreatedPut, Bucket: filepath.Base(t.Bucket),
				Region: trigger.DefaultRegion, AppID: trigger.DefaultAppID, Key: t.Prefix + "test" + t.Suffix, Time: time.Now()})
			return r.submit(t.Function, t.Qualifier, t.Type, t.Name, trigger.COSEvent{Records: []trigger.COSRecord{rec}}, nil)
		default:
			return "", fmt.Errorf("%s trigger %s fires from its source: use `emulator send %s %s MESSAGE`", t.Type, name, t.Type, t.Topic)
		}
	}
	return "", fmt.Errorf("%w: %s of function %s", registry.ErrTriggerNotFound, name, function)
}

// Send publishes messages to a CKafka or CMQ topic.
func (r *triggerRig) Send(kind, topic string, msgs []trigger.Message) ([]trigger.Published, error) {
	return r.broker.Publish(kind, topic, msgs)
}

// The api.AsyncEvents methods.

func (r *triggerRig) Events() []trigger.AsyncEvent               { return r.async.List(nil) }
func (r *triggerRig) Event(id string) (trigger.AsyncEvent, bool) { return r.async.Get(id) }
func (r *triggerRig) Terminate(function, id string) error        { return r.async.Terminate(function, id) }
func (r *triggerRig) Policy(function string) trigger.AsyncPolicy {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.policies[function]; ok {
		return p
	}
	return trigger.DefaultAsyncPolicy()
}

// SetPolicy stores function's policy in the state dir, atomically.
func (r *triggerRig) SetPolicy(function string, p trigger.AsyncPolicy) error {
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
	if err := atomicfile.WriteFile(r.stateDir, asyncFile, b); err != nil {
		return err
	}
	r.policies = next
	return nil
}
