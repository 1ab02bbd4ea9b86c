package runtime

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/scf-emulator/emulator/scferr"
)

// reservations caps, per function, the memory of the requests in flight
// across all its versions (the platform's reserved concurrency, which it
// counts in MB: requests times the version's memory size).
type reservations struct {
	mu   sync.Mutex     // guards caps and used
	caps map[string]int // namespace/function -> MB; absent means no cap
	used map[string]int // namespace/function -> MB in flight, kept only while capped
	// ncaps is len(caps), read without mu: with no cap at all (the usual
	// case) a request takes neither the lock nor a key. A request that
	// passes as a cap is being set is not counted against it, as if it had
	// come a moment earlier.
	ncaps atomic.Int32
}

func fnKey(namespace, function string) string { return namespace + "/" + function }

// take reserves spec's memory for one request, or fails with 432 when the
// function's cap would be passed. The returned func gives it back.
func (r *reservations) take(spec Spec) (func(), error) {
	if r.ncaps.Load() == 0 {
		return func() {}, nil
	}
	k := fnKey(spec.Namespace, spec.Function)
	mb := max(spec.MemoryMB, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	limit, capped := r.caps[k]
	if !capped {
		return func() {}, nil
	}
	if r.used[k]+mb > limit {
		return nil, scferr.Newf(scferr.ErrConcurrency, nil,
			"resource limit reached: function %s has %d MB of reserved concurrency and %d MB in use; a request of version %s needs %d MB",
			spec.Function, limit, r.used[k], spec.Version, mb)
	}
	r.used[k] += mb
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.used[k] -= mb; r.used[k] <= 0 {
			delete(r.used, k)
		}
	}, nil
}

// SetReserved caps the memory of the function's requests in flight across
// all versions to mb (ReservedConcurrencyMem); mb < 0 removes the cap. A
// request over the cap fails at once with 432, as on the platform; mb 0
// stops the function taking requests.
func (m *Manager) SetReserved(namespace, function string, mb int) {
	r := &m.reserved
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() { r.ncaps.Store(int32(len(r.caps))) }()
	k := fnKey(namespace, function)
	if mb < 0 {
		delete(r.caps, k)
		return
	}
	if r.caps == nil {
		r.caps, r.used = map[string]int{}, map[string]int{}
	}
	r.caps[k] = mb
}

// Provision keeps n instances of spec started and exempt from idle reaping
// (provisioned concurrency), starting the missing ones now; n 0 makes the
// pool's instances on-demand again. It returns once the starts are launched:
// their failures are logged and retried when a provisioned instance stops.
// Retire (the version deleted) and Close end it.
func (m *Manager) Provision(ctx context.Context, spec Spec, n int) error {
	for {
		p, err := m.pool(spec)
		if err != nil {
			return m.closedErr(err)
		}
		p.mu.Lock()
		if p.retired {
			p.mu.Unlock()
			continue
		}
		p.provisioned = max(n, 0)
		p.topUpLocked(ctx)
		empty := p.emptyLocked()
		p.mu.Unlock()
		if empty {
			m.collect(p) // n 0 on a pool that had nothing
		}
		return nil
	}
}

// topUpLocked starts instances until live plus starting reaches the
// provisioned count. The starts are spares: a request may claim one still
// starting, and a finished one parks idle.
func (p *pool) topUpLocked(ctx context.Context) {
	for !p.retired && p.live+p.starting < p.provisioned {
		p.starting++
		sc := p.startLocked(ctx)
		sc.abandoned = true
		p.spares = append(p.spares, sc)
	}
}

// capLocked is how many instances the pool may have: MaxInstances (one
// under a debugger, see maxInstances), or the provisioned count when that
// is more.
func (p *pool) capLocked() int {
	if p.spec.DebugPort > 0 {
		return 1 // a debugger attaches to one process, provisioned or not
	}
	return max(p.maxInstances(), p.provisioned)
}
