package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// ErrClosed is returned by Invoke and Serve once Close has been called, and by
// a second Close.
var ErrClosed = errors.New("runtime manager closed")

// Options configures a Manager. Zero values select the documented defaults.
type Options struct {
	MaxInstances int           // per pool key; 0 means 8
	IdleTimeout  time.Duration // an idle instance is stopped after this; 0 means 5 minutes
	StartTimeout time.Duration // deadline for Runtime.Start; 0 means 30 s
	StopTimeout  time.Duration // deadline for Instance.Stop on cleanup; 0 means 10 s
	QueueTimeout time.Duration // longest wait for a free instance at MaxInstances; 0 means 30 s
	Logger       *slog.Logger  // nil discards
}

func (o Options) withDefaults() Options {
	if o.MaxInstances <= 0 {
		o.MaxInstances = 8
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
	if o.QueueTimeout <= 0 {
		o.QueueTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// PoolStats describes one live pool. Spec is the spec that created the pool;
// treat its Env map as read-only.
type PoolStats struct {
	Spec     Spec
	Live     int // started and not yet stopped: idle plus busy
	Busy     int // serving at least one request
	InFlight int // requests being served: Busy when Spec.Concurrency is 1
	// Provisioned is how many instances are kept warm (Provision); the
	// live ones beyond it are on-demand.
	Provisioned int
	Starting    int // Runtime.Start in progress
	Waiting     int // requests queued at MaxInstances
}

// Manager keeps pools of warm instances between callers and a Runtime, one
// pool per Spec.Key. It is safe for concurrent use.
type Manager struct {
	rt   Runtime
	opts Options
	log  *slog.Logger

	// force is cancelled when Close runs out of time: it aborts starts in
	// progress and stops busy instances under their requests.
	force       context.Context
	forceCancel context.CancelFunc
	forced      atomic.Bool // Close cancelled force because its ctx ended

	// wg counts instance goroutines (each starts, then owns, one instance).
	// Add happens only under a non-retired pool's lock, so once Close has
	// retired every pool no Add can race with Wait.
	wg sync.WaitGroup

	reserved reservations // per-function caps (SetReserved)

	mu     sync.Mutex // guards pools and closed; taken before any pool.mu
	pools  map[string]*pool
	closed bool
}

// NewManager returns a Manager that starts instances with rt.
func NewManager(rt Runtime, opts Options) *Manager {
	opts = opts.withDefaults()
	// The force context is the Manager's own lifetime, not a request's: it
	// only ends in Close.
	force, cancel := context.WithCancel(context.Background())
	return &Manager{
		rt:          rt,
		opts:        opts,
		log:         opts.Logger,
		force:       force,
		forceCancel: cancel,
		pools:       make(map[string]*pool),
	}
}

// Runtime returns the Runtime the Manager starts instances with.
func (m *Manager) Runtime() Runtime { return m.rt }

// Invoke runs inv on a warm instance of spec, starting one when none is idle
// and the pool is under MaxInstances, else waiting for one to come free while
// ctx allows and QueueTimeout has not passed (then 432). The invocation itself gets a
// deadline of spec.TimeoutSec (0 means 3 s).
//
// Errors: scferr 433 when the deadline fires, 499 (ErrRequestCanceled) when
// ctx ends first, the runtime's 445/446 when the needed start failed, the
// instance's own errors (430, 434, 439, ...), and ErrClosed after Close. The
// Result keeps Log and Duration on error; ColdStart and InitDuration are set
// when this request started the instance. Paths of the code directory read
// UserCodeRoot in the log and the error, as on the platform.
func (m *Manager) Invoke(ctx context.Context, spec Spec, inv Invocation) (Result, error) {
	var res Result
	l, err := m.do(ctx, spec, false, func(ctx context.Context, in Instance) error {
		var err error
		res, err = in.Invoke(ctx, inv)
		return err
	})
	res.ColdStart, res.InitDuration = l.cold, l.init
	paths := l.codeRoot(spec)
	res.Log = paths.text(res.Log)
	return res, paths.err(err)
}

// Serve calls fn with the address of a warm web-function instance of spec,
// held for the call alone or, with spec.Concurrency N > 1, shared with up to
// N-1 other calls, and a ctx bounded by spec.TimeoutSec (a lazyctx: it
// costs no timer until something waits on its Done), ending for no other
// reason than ctx's end or that deadline. It
// reports whether the instance was started for this call. Pooling, timeout and
// error rules are those of Invoke; an error fn returns decides the instance's
// fate the same way an Invoke error does.
func (m *Manager) Serve(ctx context.Context, spec Spec, fn func(ctx context.Context, addr string) error) (coldStart bool, err error) {
	l, err := m.do(ctx, spec, true, func(ctx context.Context, in Instance) error {
		addr := in.Addr()
		if addr == "" {
			return scferr.Newf(scferr.ErrInternal, nil, "function %s version %s has no http address: not a web function", spec.Function, spec.Version)
		}
		return fn(ctx, addr)
	})
	if err != nil {
		err = l.codeRoot(spec).err(err)
	}
	return l.cold, err
}

// Retire drains every pool whose spec matches: idle instances stop now, busy
// ones when their request finishes, and a later request for the same key gets
// a fresh pool. Requests waiting at the cap move to the fresh pool. match runs
// without the Manager's lock held.
func (m *Manager) Retire(match func(Spec) bool) {
	m.mu.Lock()
	all := make([]*pool, 0, len(m.pools))
	for _, p := range m.pools {
		all = append(all, p)
	}
	m.mu.Unlock()

	var victims []*pool
	for _, p := range all {
		if match(p.spec) {
			victims = append(victims, p)
		}
	}
	m.mu.Lock()
	for _, p := range victims {
		if m.pools[p.key] == p {
			delete(m.pools, p.key)
		}
	}
	m.mu.Unlock()
	for _, p := range victims {
		p.retire(dropRetire)
	}
}

// Stats returns one entry per live pool, sorted by key. Retired pools that
// are still draining are not included.
func (m *Manager) Stats() []PoolStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]PoolStats, 0, len(m.pools))
	for _, p := range m.pools {
		out = append(out, p.stats())
	}
	slices.SortFunc(out, func(a, b PoolStats) int { return cmp.Compare(a.Spec.Key(), b.Spec.Key()) })
	return out
}

// Close stops taking work, stops every instance (busy ones once their request
// finishes, starting ones once their start returns) and waits for all
// instance goroutines. When ctx ends first, Close stops busy instances and
// aborts starts without waiting further, and returns ctx's error; the requests
// hit by that fail with an error matching ErrClosed. Calls after the first
// return ErrClosed.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.closed = true
	pools := m.pools
	m.pools = nil
	m.mu.Unlock()

	for _, p := range pools {
		p.retire(dropShutdown)
	}
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		m.forceCancel()
		return nil
	case <-ctx.Done():
		m.forced.Store(true)
		m.forceCancel()
		return fmt.Errorf("close runtime manager: instances still busy: %w", context.Cause(ctx))
	}
}

// lease is an instance held by one request.
type lease struct {
	p    *pool
	mem  *member
	cold bool          // the instance was started for this request
	init time.Duration // its start time when cold
}

// codeRoot is the path mapper of spec's code directory: the pool's, built
// once, when the lease has one.
func (l lease) codeRoot(spec Spec) codeRootMapper {
	if l.p != nil {
		return l.p.codeRoot()
	}
	return newCodeRootMapper(spec.CodeDir)
}

// do runs call on a leased instance of spec under the invocation deadline,
// maps ctx endings to platform errors, and gives the instance back or
// discards it. lazy makes the deadline's context a lazyctx, for callers
// that only ask it Err and Deadline (see invocationContext).
func (m *Manager) do(ctx context.Context, spec Spec, lazy bool, call func(context.Context, Instance) error) (lease, error) {
	sec := spec.TimeoutSec
	if sec <= 0 {
		sec = 3
	}
	give, err := m.reserved.take(spec)
	if err != nil {
		return lease{}, err
	}
	defer give()
	l, err := m.acquire(ctx, spec)
	if err != nil {
		return l, m.closedErr(err)
	}
	ictx, end := invocationContext(ctx, spec, time.Duration(sec)*time.Second, lazy)
	err = call(ictx, l.mem.inst)
	var discard dropReason
	if err != nil {
		switch {
		case ctx.Err() != nil:
			err, discard = requestCanceled(ctx), dropCanceled
		case ictx.Err() != nil:
			err, discard = scferr.Timeout(sec), dropTimeout
		default:
			discard = discardReason(err)
		}
	}
	end.end()
	l.p.release(l.mem, discard)
	return l, m.closedErr(err)
}

// Prewarm makes sure an instance of spec is live or starting, starting one
// when the pool has none, and returns once that start is over (its error when
// it failed). A hot reload calls it so that the first request after a save
// does not pay the cold start: a request that arrives while the pre-warm
// start runs takes that instance instead of starting its own. When ctx ends
// first, Prewarm returns ctx's error and the start goes on; its instance
// then waits idle.
func (m *Manager) Prewarm(ctx context.Context, spec Spec) error {
	for {
		p, err := m.pool(spec)
		if err != nil {
			return m.closedErr(err)
		}
		sc, err := p.prewarm(ctx)
		if errors.Is(err, errPoolRetired) {
			continue
		}
		if err != nil || sc == nil {
			return err
		}
		select {
		case <-sc.done:
			return m.closedErr(sc.err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// acquire leases an instance of spec, moving to a fresh pool when the one it
// found was retired meanwhile.
func (m *Manager) acquire(ctx context.Context, spec Spec) (lease, error) {
	for {
		p, err := m.pool(spec)
		if err != nil {
			return lease{}, err
		}
		l, err := p.acquire(ctx)
		if errors.Is(err, errPoolRetired) {
			continue
		}
		return l, err
	}
}

// pool returns the live pool for spec's key, creating it on first use.
func (m *Manager) pool(spec Spec) (*pool, error) {
	// The key is built on the stack: a lookup of a live pool, every
	// request's, allocates nothing.
	var buf [160]byte
	key := spec.appendKey(buf[:0])
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	p := m.pools[string(key)]
	if p != nil && p.spec.Concurrency != spec.Concurrency {
		// The function's MaxConcurrency changed: its instances drain and
		// fresh ones take the new share.
		delete(m.pools, p.key)
		p.retire(dropRetire)
		p = nil
	}
	if p == nil {
		p = newPool(m, string(key), spec)
		m.pools[p.key] = p
	}
	return p, nil
}

// collect forgets p when it has nothing left, so that pools of superseded code
// hashes do not accumulate. A request that still holds p sees it retired and
// asks for a fresh one.
func (m *Manager) collect(p *pool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retired || p.live+p.starting+len(p.waiters) > 0 || p.provisioned > 0 {
		return // a provisioned pool keeps its count even while its starts fail
	}
	if m.pools[p.key] == p {
		delete(m.pools, p.key)
	}
	p.retireLocked(dropIdle)
}

// stop stops an instance on a context detached from any request, bounded by
// StopTimeout. Failures are logged: the request that caused the stop has its
// own error to report.
func (m *Manager) stop(ctx context.Context, p *pool, mem *member, reason dropReason) {
	sctx, cancel := context.WithTimeout(ctx, m.opts.StopTimeout)
	defer cancel()
	if err := mem.inst.Stop(sctx); err != nil {
		m.log.Warn("instance stop failed", "function", p.spec.Function, "version", p.spec.Version, "reason", string(reason), "error", err)
		return
	}
	m.log.Info("instance stopped", "function", p.spec.Function, "version", p.spec.Version, "reason", string(reason))
}

// closedErr marks err as caused by Close when Close forced work to end.
func (m *Manager) closedErr(err error) error {
	if err == nil || errors.Is(err, ErrClosed) || !m.forced.Load() {
		return err
	}
	return fmt.Errorf("%w: %w", ErrClosed, err)
}
