package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// fakeRuntime is a Runtime whose instances act on the event they receive:
//
//	"sleep:<duration>"  sleep, then answer (ctx ends it early)
//	"hang"              block until ctx ends, then return ctx.Err() with a log
//	"fail"              return a 430 user error
//	"exit"              exit (close Exited) and return a 439 error
//	"answer-exit"       answer, but exit while doing so
//	anything else       echo the event
type fakeRuntime struct {
	mu         sync.Mutex // guards every field below
	startDelay time.Duration
	failNext   int   // the next failNext starts fail with a 445 error
	startErr   error // when set, every start fails with it
	startCalls int   // calls of Start, failed ones included
	starts     int   // successful starts
	stops      int   // instances stopped by Stop (each counted once)
	live       int   // started and neither stopped nor exited
	maxLive    int
	running    int // invocations in progress across instances
	maxRunning int
	overlap    bool // an instance was invoked concurrently: a Manager bug
	instances  []*fakeInstance
}

var _ Runtime = (*fakeRuntime)(nil)
var _ Instance = (*fakeInstance)(nil)

func (r *fakeRuntime) Name() string { return "fake" }

func (r *fakeRuntime) Start(ctx context.Context, spec Spec) (Instance, error) {
	r.mu.Lock()
	r.startCalls++
	delay, fail, failErr := r.startDelay, r.failNext > 0, r.startErr
	if fail {
		r.failNext--
	}
	r.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if failErr != nil {
		return nil, failErr
	}
	if fail {
		return nil, scferr.New(scferr.ErrContainerInit, "container init error", errors.New("bootstrap exited with status 1: ImportError: no module named index"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts++
	r.live++
	r.maxLive = max(r.maxLive, r.live)
	in := &fakeInstance{rt: r, id: r.starts, addr: fmt.Sprintf("127.0.0.1:%d", 9000+r.starts), exited: make(chan struct{})}
	r.instances = append(r.instances, in)
	return in, nil
}

// counts returns (successful starts, stops).
func (r *fakeRuntime) counts() (starts, stops int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts, r.stops
}

func (r *fakeRuntime) instance(i int) *fakeInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.instances[i]
}

func (r *fakeRuntime) enter() {
	r.mu.Lock()
	r.running++
	r.maxRunning = max(r.maxRunning, r.running)
	r.mu.Unlock()
}

func (r *fakeRuntime) leave() {
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
}

// fakeInstance is one instance of a fakeRuntime.
type fakeInstance struct {
	rt       *fakeRuntime
	id       int
	addr     string
	inUse    atomic.Bool
	exitOnce sync.Once
	exited   chan struct{}

	mu      sync.Mutex // guards invokes and stopped
	invokes int
	stopped bool
}

func (f *fakeInstance) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	if !f.inUse.CompareAndSwap(false, true) {
		f.rt.mu.Lock()
		f.rt.overlap = true
		f.rt.mu.Unlock()
	}
	defer f.inUse.Store(false)
	select {
	case <-f.exited:
		return Result{}, scferr.New(scferr.ErrProcessExit, "user process exit when running", errors.New("instance is gone"))
	default:
	}
	f.mu.Lock()
	f.invokes++
	f.mu.Unlock()
	f.rt.enter()
	defer f.rt.leave()

	ev := string(inv.Event)
	switch {
	case strings.HasPrefix(ev, "sleep:"):
		d, err := time.ParseDuration(ev[len("sleep:"):])
		if err != nil {
			return Result{}, err
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return Result{Payload: []byte(`"slept"`), Duration: d}, nil
		case <-f.exited:
			return Result{Log: "killed\n"}, scferr.New(scferr.ErrProcessExit, "user process exit when running", nil)
		case <-ctx.Done():
			return Result{Log: "sleeping\n"}, ctx.Err()
		}
	case ev == "hang":
		start := time.Now()
		select {
		case <-ctx.Done():
			return Result{Log: "started\n", Duration: time.Since(start)}, ctx.Err()
		case <-f.exited:
			return Result{Log: "started\n", Duration: time.Since(start)}, scferr.New(scferr.ErrProcessExit, "user process exit when running", nil)
		}
	case ev == "fail":
		return Result{Log: "boom\n"}, scferr.UserError("Exception", "boom", "")
	case ev == "answer-exit":
		f.exit()
		return Result{Payload: []byte(`"last words"`)}, nil
	case ev == "exit":
		f.exit()
		return Result{Log: "bye\n"}, scferr.New(scferr.ErrProcessExit, "user process exit when running", errors.New("exit status 1"))
	}
	return Result{Payload: inv.Event}, nil
}

func (f *fakeInstance) Addr() string { return f.addr }

func (f *fakeInstance) Exited() <-chan struct{} { return f.exited }

func (f *fakeInstance) Stop(context.Context) error {
	f.mu.Lock()
	first := !f.stopped
	f.stopped = true
	f.mu.Unlock()
	if first {
		f.rt.mu.Lock()
		f.rt.stops++
		f.rt.mu.Unlock()
	}
	f.exit()
	return nil
}

// crash makes the instance exit on its own, as a process dying would.
func (f *fakeInstance) crash() { f.exit() }

func (f *fakeInstance) exit() {
	f.exitOnce.Do(func() {
		close(f.exited)
		f.rt.mu.Lock()
		f.rt.live--
		f.rt.mu.Unlock()
	})
}

func (f *fakeInstance) isStopped() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stopped
}

func (f *fakeInstance) invocations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.invokes
}
