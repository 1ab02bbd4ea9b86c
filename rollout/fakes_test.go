package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
)

// fakeClock only moves when Advance is called.
type fakeClock struct {
	mu      sync.Mutex // guards now and waiters
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves time on and fires the waits that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waitForWaiterAt blocks until some goroutine waits on the clock until at.
// A wait given up (a held rollout's) stays in the list; this tells a new one.
func (c *fakeClock) waitForWaiterAt(t *testing.T, at time.Time) {
	t.Helper()
	eventually(t, "a goroutine waiting on the clock until "+at.String(), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, w := range c.waiters {
			if w.at.Equal(at) {
				return true
			}
		}
		return false
	})
}

// waitForWaiter blocks until some goroutine waits on the clock.
func (c *fakeClock) waitForWaiter(t *testing.T) {
	t.Helper()
	eventually(t, "a goroutine waiting on the clock", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.waiters) > 0
	})
}

// eventually polls cond for up to 30 s of real time: a hang guard, which a
// loaded machine must never reach.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fakeAliases is an in-memory registry of one function's versions and
// aliases. It validates routing with registry.Compile as the real one does.
// Function B parked or deleted answers as a missing function, as the
// registry does; parked, ParkedFunction tells it.
type fakeAliases struct {
	mu       sync.Mutex // guards everything below
	versions map[string]bool
	aliases  map[string]registry.Alias
	updates  int
	failNext error
	parked   bool
	deleted  bool
}

// setParked parks B (true) or restores it (false).
func (f *fakeAliases) setParked(p bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parked = p
}

// drop deletes B for good.
func (f *fakeAliases) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parked, f.deleted = false, true
}

func (f *fakeAliases) ParkedFunction(name string) (registry.Parked, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return registry.Parked{Name: name}, name == "B" && f.parked
}

// servesLocked reports whether function is one the fake serves now.
func (f *fakeAliases) servesLocked(function string) bool {
	return function == "B" && !f.parked && !f.deleted
}

func newFakeAliases(versions ...string) *fakeAliases {
	f := &fakeAliases{versions: map[string]bool{registry.Latest: true}, aliases: map[string]registry.Alias{}}
	for _, v := range versions {
		f.versions[v] = true
	}
	return f
}

func (f *fakeAliases) set(a registry.Alias) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aliases[a.Name] = a
}

func (f *fakeAliases) get(name string) registry.Alias {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.aliases[name]
}

func (f *fakeAliases) deleteVersion(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.versions, v)
}

func (f *fakeAliases) updateCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.updates
}

func (f *fakeAliases) Alias(function, name string) (registry.Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.servesLocked(function) {
		return registry.Alias{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, function)
	}
	a, ok := f.aliases[name]
	if !ok {
		return registry.Alias{}, fmt.Errorf("%w: %s", registry.ErrAliasNotFound, name)
	}
	a.Weights, a.Matches = slices.Clone(a.Weights), slices.Clone(a.Matches)
	return a, nil
}

func (f *fakeAliases) UpdateAlias(function string, a registry.Alias) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failNext; err != nil {
		f.failNext = nil
		return err
	}
	if !f.servesLocked(function) {
		return fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, function)
	}
	if _, ok := f.aliases[a.Name]; !ok {
		return registry.ErrAliasNotFound
	}
	if _, err := registry.Compile(a); err != nil {
		return err
	}
	f.updates++
	f.aliases[a.Name] = a
	return nil
}

func (f *fakeAliases) Version(function, version string) (registry.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.servesLocked(function):
	case function == "pre", function == "post": // hook functions
		return registry.Version{Function: function, Version: version}, nil
	default:
		return registry.Version{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, function)
	}
	if !f.versions[version] {
		return registry.Version{}, fmt.Errorf("%w: version %s", registry.ErrVersionNotFound, version)
	}
	return registry.Version{Function: function, Version: version}, nil
}

// fakeMetrics answers fixed figures per version and records the windows asked.
type fakeMetrics struct {
	mu      sync.Mutex // guards stats and windows
	stats   map[string]metrics.VersionStats
	windows []time.Duration
}

func (f *fakeMetrics) set(version string, requests, errs int, p99 time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stats == nil {
		f.stats = map[string]metrics.VersionStats{}
	}
	vs := metrics.VersionStats{Version: version, Invocations: requests, Errors: errs, P99: p99}
	if requests > 0 {
		vs.ErrorRate = float64(errs) / float64(requests)
	}
	f.stats[version] = vs
}

func (f *fakeMetrics) Stats(function string, window time.Duration) []metrics.VersionStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, window)
	var out []metrics.VersionStats
	for _, s := range f.stats {
		out = append(out, s)
	}
	return out
}

func (f *fakeMetrics) askedWindows() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.windows)
}

// fakeInvoker records hook calls; fail makes a function's hook fail, block
// makes every call wait for its context, blockFirst the first n calls.
type fakeInvoker struct {
	mu         sync.Mutex // guards calls, stopped and blockFirst
	calls      []string
	stopped    []error // the cause of each blocked call's end, in order
	fail       map[string]error
	block      bool
	blockFirst int
}

func (f *fakeInvoker) InvokeHook(ctx context.Context, function, qualifier string, event []byte) error {
	f.mu.Lock()
	f.calls = append(f.calls, function+":"+qualifier+" "+string(event))
	err, block := f.fail[function], f.block || f.blockFirst > 0
	f.blockFirst--
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		f.mu.Lock()
		f.stopped = append(f.stopped, context.Cause(ctx))
		f.mu.Unlock()
		return ctx.Err()
	}
	return err
}

// stoppedWith returns the causes of the blocked calls' ends so far.
func (f *fakeInvoker) stoppedWith() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stopped)
}

func (f *fakeInvoker) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

var errHook = errors.New("smoke test failed")
