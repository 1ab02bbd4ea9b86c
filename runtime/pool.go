package runtime

import (
	"context"
	"slices"
	"sync"
	"time"
)

// pool holds the instances of one Spec.Key. Requests lease an idle instance,
// start one when under the cap, or queue FIFO for the next one to come free.
// Starts run outside the lock, counted in starting toward the cap.
type pool struct {
	m     *Manager
	key   string
	spec  Spec
	drain chan struct{} // closed once, when the pool is retired
	// paths maps the code directory's host paths in logs and errors; built
	// once (it resolves symbolic links) instead of per request.
	paths     codeRootMapper
	pathsOnce sync.Once

	mu       sync.Mutex // guards the fields below and the pool-owned fields of its members and startCalls
	idle     []*member  // a stack: the last released is leased first, so the rest idle out
	shared   []*member  // busy members with a free slot (Spec.Concurrency > 1), filled before idle ones
	live     int        // started and not removed: idle plus busy
	busy     int        // members serving at least one request
	starting int
	waiters  []*waiter    // requests at the cap, oldest first
	spares   []*startCall // pre-warm starts no request has claimed yet, unfinished
	retired  bool
	reason   dropReason // why retired; the reason idle instances are stopped with
	// provisioned instances are kept started and never idle out (Provision).
	provisioned int
}

// codeRoot returns the pool's path mapper, building it on first use.
func (p *pool) codeRoot() codeRootMapper {
	p.pathsOnce.Do(func() { p.paths = newCodeRootMapper(p.spec.CodeDir) })
	return p.paths
}

// member is one started instance of a pool.
type member struct {
	inst Instance
	// kill receives, once, the reason the member was removed while busy; its
	// owning goroutine then stops the instance. Buffered so release never blocks.
	kill chan dropReason

	inflight int       // guarded by pool.mu: requests it serves now, up to pool.slots()
	removed  bool      // guarded by pool.mu
	lastUsed time.Time // guarded by pool.mu
}

// waiter is a request queued at the cap.
type waiter struct {
	grant chan grant // buffered 1; receives exactly one grant
}

// grant is what a waiter is handed: an instance, permission to start one
// (already counted in starting), or a retry on a fresh pool.
type grant struct {
	mem   *member
	start bool
	retry bool
}

// startCall is one Runtime.Start and the request waiting for it.
type startCall struct {
	done chan struct{} // closed when the start returned and the fields below are set

	finished  bool          // guarded by pool.mu
	abandoned bool          // guarded by pool.mu: nobody waits to lease it (the requester left, or a pre-warm); the instance goes idle
	mem       *member       // leased to the requester on success
	err       error         // the start's error
	dur       time.Duration // how long Start took
}

func newPool(m *Manager, key string, spec Spec) *pool {
	return &pool{m: m, key: key, spec: spec, drain: make(chan struct{})}
}

// acquire leases an instance. A wait at the cap is bounded by QueueTimeout (the
// function has not run, so its own timeout does not apply); a start is bounded
// by StartTimeout and ctx.
func (p *pool) acquire(ctx context.Context) (lease, error) {
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		return lease{}, errPoolRetired
	}
	if mem := p.popIdleLocked(); mem != nil {
		p.mu.Unlock()
		return lease{p: p, mem: mem}, nil
	}
	if sc := p.claimSpareLocked(); sc != nil {
		// A pre-warm is starting an instance nobody waits for: take it
		// rather than start a second one that competes with it.
		p.mu.Unlock()
		return p.awaitStart(ctx, sc)
	}
	if p.live+p.starting < p.capLocked() {
		p.starting++
		sc := p.startLocked(ctx)
		p.mu.Unlock()
		return p.awaitStart(ctx, sc)
	}
	w := &waiter{grant: make(chan grant, 1)}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()

	g, err := p.wait(ctx, w)
	switch {
	case err != nil:
		return lease{}, err
	case g.retry:
		return lease{}, errPoolRetired
	case g.mem != nil:
		return lease{p: p, mem: g.mem}, nil
	}
	p.mu.Lock()
	if p.retired {
		p.starting--
		p.mu.Unlock()
		return lease{}, errPoolRetired
	}
	sc := p.startLocked(ctx)
	p.mu.Unlock()
	return p.awaitStart(ctx, sc)
}

// wait blocks until w is granted something or the wait ends. A waiter that
// leaves after being granted gives the grant back, so it takes nothing.
func (p *pool) wait(ctx context.Context, w *waiter) (grant, error) {
	wctx, cancel := context.WithTimeout(ctx, p.queueTimeout())
	defer cancel()
	select {
	case g := <-w.grant:
		return g, nil
	case <-wctx.Done():
	}
	err := p.waitEndedError(ctx)
	p.mu.Lock()
	if i := slices.Index(p.waiters, w); i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
		p.mu.Unlock()
		return grant{}, err
	}
	p.mu.Unlock()
	p.giveBack(<-w.grant)
	return grant{}, err
}

// giveBack returns a grant its waiter did not use.
func (p *pool) giveBack(g grant) {
	switch {
	case g.mem != nil:
		p.release(g.mem, "")
	case g.start:
		p.mu.Lock()
		p.starting--
		p.dispatchLocked()
		empty := p.emptyLocked()
		p.mu.Unlock()
		if empty {
			p.m.collect(p)
		}
	}
}

// startLocked launches a start already counted in starting. The instance's
// goroutine runs on a context detached from the request, so a start the
// requester gave up on still yields a warm instance.
func (p *pool) startLocked(ctx context.Context) *startCall {
	sc := &startCall{done: make(chan struct{})}
	p.m.wg.Add(1)
	go p.run(context.WithoutCancel(ctx), sc)
	return sc
}

// prewarm starts an instance that no request leases, unless the pool has one
// live or starting already, and returns its start (nil when none was
// needed). A request that arrives meanwhile claims it (claimSpareLocked);
// otherwise it goes idle.
func (p *pool) prewarm(ctx context.Context) (*startCall, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retired {
		return nil, errPoolRetired
	}
	if p.live+p.starting > 0 {
		return nil, nil
	}
	p.starting++
	sc := p.startLocked(ctx)
	sc.abandoned = true
	p.spares = append(p.spares, sc)
	return sc, nil
}

// claimSpareLocked hands the oldest unclaimed pre-warm start to the caller,
// who then waits for it as for its own; nil when there is none.
func (p *pool) claimSpareLocked() *startCall {
	if len(p.spares) == 0 {
		return nil
	}
	sc := p.spares[0]
	p.spares = slices.Delete(p.spares, 0, 1)
	sc.abandoned = false
	return sc
}

// awaitStart waits for the requester's own start.
func (p *pool) awaitStart(ctx context.Context, sc *startCall) (lease, error) {
	select {
	case <-sc.done:
		if sc.err != nil {
			return lease{}, sc.err
		}
		return lease{p: p, mem: sc.mem, cold: true, init: sc.dur}, nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	if !sc.finished {
		sc.abandoned = true
		p.mu.Unlock()
		return lease{}, requestCanceled(ctx)
	}
	p.mu.Unlock()
	if sc.mem != nil {
		p.release(sc.mem, "")
	}
	return lease{}, requestCanceled(ctx)
}

// release gives a leased member back: to the next waiter or the idle stack, or
// out of the pool when discard is set, it exited, or the pool was retired.
func (p *pool) release(mem *member, discard dropReason) {
	if discard == "" {
		select {
		case <-mem.inst.Exited():
			discard = dropCrash
		default:
		}
	}
	p.mu.Lock()
	if discard == dropTimeout || discard == dropCanceled {
		if p.slots() > 1 {
			// The request's own connection ended: the other requests the
			// instance serves are not its to kill.
			discard = ""
		}
	}
	full := mem.inflight == p.slots()
	mem.inflight--
	switch {
	case mem.removed:
		// An earlier request on this shared instance already removed it.
		if mem.inflight == 0 {
			p.busy--
		}
	case discard != "" || (p.retired && mem.inflight == 0):
		if discard == "" {
			discard = p.reason
		}
		p.dropSharedLocked(mem)
		if mem.inflight == 0 {
			p.busy--
		}
		p.removeLocked(mem)
		mem.kill <- discard
	case mem.inflight == 0:
		p.busy--
		p.dropSharedLocked(mem)
		p.parkLocked(mem)
	case full:
		p.shared = append(p.shared, mem)
	}
	p.dispatchLocked()
	p.mu.Unlock()
}

// slots is how many requests one instance serves at once: Spec.Concurrency
// for a web function, one for an event function (its bootstrap takes one
// event at a time).
func (p *pool) slots() int {
	if p.spec.Type != "http" {
		return 1
	}
	return max(p.spec.Concurrency, 1)
}

// popIdleLocked leases a slot: on a busy member with one free first, so a
// multi-concurrency instance fills up before another wakes, else on the most
// recently used idle member.
func (p *pool) popIdleLocked() *member {
	if n := len(p.shared); n > 0 {
		mem := p.shared[n-1]
		if mem.inflight++; mem.inflight == p.slots() {
			p.shared[n-1] = nil
			p.shared = p.shared[:n-1]
		}
		return mem
	}
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	mem := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	p.leaseLocked(mem)
	return mem
}

// leaseLocked gives a member with nothing in flight its first request.
func (p *pool) leaseLocked(mem *member) {
	mem.inflight = 1
	p.busy++
	if p.slots() > 1 {
		p.shared = append(p.shared, mem)
	}
}

func (p *pool) dropSharedLocked(mem *member) {
	if i := slices.Index(p.shared, mem); i >= 0 {
		p.shared = slices.Delete(p.shared, i, i+1)
	}
}

func (p *pool) parkLocked(mem *member) {
	mem.lastUsed = time.Now()
	p.idle = append(p.idle, mem)
}

func (p *pool) removeLocked(mem *member) {
	if i := slices.Index(p.idle, mem); i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
	}
	mem.removed = true
	p.live--
}

// dispatchLocked hands idle members and free capacity to waiters, oldest first.
func (p *pool) dispatchLocked() {
	for len(p.waiters) > 0 && !p.retired {
		var g grant
		if mem := p.popIdleLocked(); mem != nil {
			g.mem = mem
		} else if p.live+p.starting < p.capLocked() {
			p.starting++
			g.start = true
		} else {
			return
		}
		w := p.waiters[0]
		p.waiters[0] = nil
		p.waiters = p.waiters[1:]
		w.grant <- g
	}
}

func (p *pool) emptyLocked() bool {
	return !p.retired && p.live+p.starting+len(p.waiters) == 0
}

// retire stops the pool taking work. Idle members are stopped by their owning
// goroutines, busy ones when released; waiters retry on a fresh pool.
func (p *pool) retire(reason dropReason) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retireLocked(reason)
}

func (p *pool) retireLocked(reason dropReason) {
	if p.retired {
		return
	}
	p.retired, p.reason = true, reason
	for _, w := range p.waiters {
		w.grant <- grant{retry: true}
	}
	p.waiters = nil
	close(p.drain)
}

func (p *pool) stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	inflight := 0
	for _, mem := range p.shared {
		inflight += mem.inflight
	}
	inflight += (p.busy - len(p.shared)) * p.slots() // the rest are full
	return PoolStats{Spec: p.spec, Live: p.live, Busy: p.busy, InFlight: inflight, Starting: p.starting, Waiting: len(p.waiters),
		Provisioned: p.provisioned}
}
