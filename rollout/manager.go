package rollout

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
)

// Aliases reads and writes aliases; *registry.Registry satisfies it.
type Aliases interface {
	Alias(function, name string) (registry.Alias, error)
	UpdateAlias(function string, a registry.Alias) error
	Version(function, version string) (registry.Version, error)
}

// Metrics reports per-version traffic; *metrics.Metrics satisfies it.
type Metrics interface {
	Stats(function string, window time.Duration) []metrics.VersionStats
}

// Invoker runs a hook function. An error, including a failed invocation of
// the function, fails the hook.
type Invoker interface {
	InvokeHook(ctx context.Context, function, qualifier string, event []byte) error
}

// Options configures a Manager.
type Options struct {
	// Dir holds rollouts.json; "" keeps nothing on disk.
	Dir     string
	Aliases Aliases
	Metrics Metrics
	// Invoker runs hooks; nil refuses plans with hooks.
	Invoker Invoker
	// Diffs reports diff results; nil refuses plans with a max-diff-rate gate.
	Diffs Diffs
	// Parking tells parked functions apart from deleted ones: a rollout on
	// a parked function is held (hold.go). Nil: functions are never parked.
	Parking Parking
	// Clock is nil for the wall clock.
	Clock  Clock
	Logger *slog.Logger
}

// keepFinished is how many finished rollouts per alias are kept for List.
const keepFinished = 5

type key struct{ function, alias string }

// run is one running rollout and the goroutine driving it.
type run struct {
	// rec is written only by the goroutine driving the rollout (or, once it
	// has exited, by Abort), always under Manager.mu; that goroutine may read
	// it without the lock.
	rec      record
	aborting bool // an Abort has claimed the rollout; guarded by Manager.mu
	deleted  bool // the function was deleted (OnChange); guarded by Manager.mu
	// stopHook stops the hook invocation under way (OnChange, when the
	// function is parked or deleted); nil between hooks. Guarded by
	// Manager.mu.
	stopHook context.CancelCauseFunc
	wake     chan struct{}   // OnChange's nudge: the function was parked, restored or deleted
	ctx      context.Context // the goroutine's; cancelled by Abort and Close, with the cause a hook's record names
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed when the goroutine has exited
}

// Manager runs rollouts, at most one per alias.
type Manager struct {
	opts   Options
	clock  Clock
	log    *slog.Logger
	ctx    context.Context // the goroutines' lifetime; cancelled by Close with errStopping
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu       sync.Mutex // guards everything below and every run.rec
	closed   bool
	running  map[key]*run
	finished []record // newest last; at most keepFinished per alias
	subs     map[int]func(Status)
	nextSub  int
}

// New loads <dir>/rollouts.json and resumes every rollout that was running;
// one that cannot resume is marked aborted, with its original routing
// restored where it is still the rollout's to restore. A rollout whose
// function is parked is held, and waits for it.
func New(opts Options) (*Manager, error) {
	if opts.Aliases == nil || opts.Metrics == nil {
		return nil, fmt.Errorf("rollout: Options.Aliases and Options.Metrics are required")
	}
	m := &Manager{opts: opts, clock: opts.Clock, log: opts.Logger, running: map[key]*run{}, subs: map[int]func(Status){}}
	if m.clock == nil {
		m.clock = realClock{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	recs, err := m.load()
	if err != nil {
		return nil, err
	}
	// The goroutines outlive any caller's context; Close ends them.
	m.ctx, m.cancel = context.WithCancelCause(context.Background())
	var resume []*run
	for _, rec := range recs {
		if rec.State.Terminal() {
			m.finished = append(m.finished, rec)
			continue
		}
		r := m.newRun(rec)
		m.running[key{rec.Function, rec.Alias}] = r
		resume = append(resume, r)
	}
	for _, r := range resume {
		// A held rollout's goroutine waits for its function; one that
		// was running checks first, and may find its function parked.
		if r.rec.State == StateHeld || m.resume(r, "could not resume after a restart: ") || r.rec.State == StateHeld {
			m.launch(r)
		} else {
			r.cancel(nil) // ended at the resume: nothing of it runs
		}
	}
	return m, nil
}

// Start validates p against the alias and starts the rollout. It returns
// once the rollout is recorded; a goroutine owned by the Manager runs it.
// Errors wrap ErrInvalidPlan (with registry errors for a missing function,
// alias or version), ErrActive or ErrClosed.
func (m *Manager) Start(ctx context.Context, p Plan) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	p, err := normalize(p)
	if err != nil {
		return Status{}, err
	}
	al, err := m.opts.Aliases.Alias(p.Function, p.Alias)
	if err != nil {
		return Status{}, fmt.Errorf("%w: alias: %w", ErrInvalidPlan, err)
	}
	if _, err := m.opts.Aliases.Version(p.Function, p.To); err != nil {
		return Status{}, fmt.Errorf("%w: to: %w", ErrInvalidPlan, err)
	}
	orig := routingOf(al)
	if orig.Primary == p.To {
		return Status{}, invalid("to: version %s is already the primary version of alias %s", p.To, p.Alias)
	}
	if p.Gates.MaxDiffRate != nil && m.opts.Diffs == nil {
		return Status{}, invalid("gates.maxDiffRate: this emulator keeps no diff results")
	}
	for i, h := range []*Hook{p.PreTraffic, p.PostTraffic} {
		if h == nil {
			continue
		}
		field := [...]string{"preTraffic", "postTraffic"}[i]
		if m.opts.Invoker == nil {
			return Status{}, invalid("%s: this emulator cannot run hooks", field)
		}
		if _, err := m.opts.Aliases.Version(h.Function, registry.Latest); err != nil {
			return Status{}, fmt.Errorf("%w: %s: %w", ErrInvalidPlan, field, err)
		}
	}
	now := m.clock.Now()
	phase := PhaseTraffic
	if p.PreTraffic != nil {
		phase = PhasePreTraffic
	}
	rec := record{
		Status: Status{
			ID: fmt.Sprintf("%s/%s/%d", p.Function, p.Alias, now.UnixNano()), Function: p.Function, Alias: p.Alias,
			From: orig.Primary, To: p.To, Schedule: p.Schedule, Steps: p.Steps, Interval: p.Interval, Speed: p.Speed,
			Gates: p.Gates, PreTraffic: p.PreTraffic, PostTraffic: p.PostTraffic, MaxInconclusive: p.MaxInconclusive,
			State: StateRunning, Phase: phase, StartedAt: now, UpdatedAt: now,
		},
		Original: orig, Applied: orig,
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Status{}, ErrClosed
	}
	k := key{p.Function, p.Alias}
	if cur, ok := m.running[k]; ok {
		m.mu.Unlock()
		return Status{}, fmt.Errorf("%w on alias %s of function %s: %s (to version %s, started %s)",
			ErrActive, p.Alias, p.Function, cur.rec.ID, cur.rec.To, cur.rec.StartedAt.Format(time.RFC3339))
	}
	r := m.newRun(rec)
	m.running[k] = r
	m.saveLocked()
	subs := m.subscribersLocked()
	m.mu.Unlock()
	m.announce(rec.Status, subs) // before the goroutine can announce a later state
	m.mu.Lock()
	if m.closed {
		// Close came in between: the rollout stays on disk as running and
		// the next New resumes it.
		r.cancel(errStopping)
		close(r.done)
	} else {
		m.launch(r) // under mu, so Close's Wait covers it
	}
	m.mu.Unlock()
	return rec.Status, nil
}

// Abort stops the running rollout of the alias and restores the alias'
// original routing, unless someone changed the alias by hand meanwhile. A
// held rollout stays held, its rollback pending until the function is back.
// Errors wrap ErrNotActive or ErrClosed.
func (m *Manager) Abort(function, alias, reason string) (Status, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Status{}, ErrClosed
	}
	r, ok := m.running[key{function, alias}]
	if ok && r.aborting {
		m.mu.Unlock()
		return Status{}, fmt.Errorf("%w on alias %s of function %s: %s is already being aborted", ErrNotActive, alias, function, r.rec.ID)
	}
	var id string
	if ok {
		r.aborting, id = true, r.rec.ID
	}
	m.mu.Unlock()
	if !ok {
		return Status{}, fmt.Errorf("%w on alias %s of function %s", ErrNotActive, alias, function)
	}
	if reason == "" {
		reason = "aborted by request"
	}
	// The cause reaches a hook under way: its log record says why it was
	// cancelled.
	r.cancel(fmt.Errorf("rollout %s of alias %s of function %s aborted: %s", id, alias, function, reason))
	<-r.done // the goroutine never stops half-way through an alias write
	m.mu.Lock()
	st := r.rec.Status
	m.mu.Unlock()
	if st.State.Terminal() {
		return st, fmt.Errorf("%w on alias %s of function %s: %s ended %s first", ErrNotActive, alias, function, st.ID, st.State)
	}
	st = m.rollBack(r, StateAborted, reason)
	if st.State == StateHeld {
		// The function is parked: the rollback waits for it to come back.
		m.relaunch(r)
	}
	return st, nil
}

// Get returns the alias' running rollout, or else its latest finished one.
func (m *Manager) Get(function, alias string) (Status, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.running[key{function, alias}]; ok {
		return r.rec.Status, true
	}
	for i := len(m.finished) - 1; i >= 0; i-- {
		if f := m.finished[i]; f.Function == function && f.Alias == alias {
			return f.Status, true
		}
	}
	return Status{}, false
}

// List returns the rollouts of function ("" = all), running and recently
// finished, newest first.
func (m *Manager) List(function string) []Status {
	m.mu.Lock()
	var out []Status
	for _, r := range m.running {
		if function == "" || r.rec.Function == function {
			out = append(out, r.rec.Status)
		}
	}
	for _, f := range m.finished {
		if function == "" || f.Function == function {
			out = append(out, f.Status)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Status) int {
		return cmp.Or(b.StartedAt.Compare(a.StartedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Subscribe calls fn with every change of every rollout, in order per
// rollout, on the goroutine making the change: fn must not block.
func (m *Manager) Subscribe(fn func(Status)) (cancel func()) {
	m.mu.Lock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = fn
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.subs, id)
		m.mu.Unlock()
	}
}

// Close stops every rollout's goroutine without touching any alias: the
// rollouts stay running on disk, and the next New resumes them.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel(errStopping)
	m.wg.Wait()
}

// newRun prepares a run; its context exists before it is visible to
// Abort.
func (m *Manager) newRun(rec record) *run {
	ctx, cancel := context.WithCancelCause(m.ctx)
	return &run{rec: rec, ctx: ctx, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1)}
}

func (m *Manager) launch(r *run) {
	m.wg.Go(func() {
		defer close(r.done)
		defer r.cancel(nil)
		m.drive(r.ctx, r)
	})
}

// update applies fn to the rollout's record, persists it, and tells the log
// and the subscribers. A final state moves the rollout to the finished list.
func (m *Manager) update(r *run, fn func(*record)) Status {
	m.mu.Lock()
	fn(&r.rec)
	r.rec.UpdatedAt = m.clock.Now()
	if k := (key{r.rec.Function, r.rec.Alias}); r.rec.State.Terminal() && m.running[k] == r {
		r.rec.Phase, r.rec.NextStepAt, r.rec.Target, r.rec.Pending, r.rec.Hold = "", time.Time{}, nil, "", nil
		delete(m.running, k)
		m.finished = append(m.finished, r.rec)
		m.trimLocked(k)
	}
	m.saveLocked()
	st := r.rec.Status
	subs := m.subscribersLocked()
	m.mu.Unlock()
	m.announce(st, subs)
	return st
}

func (m *Manager) subscribersLocked() []func(Status) {
	out := make([]func(Status), 0, len(m.subs))
	for _, fn := range m.subs {
		out = append(out, fn)
	}
	return out
}

func (m *Manager) announce(st Status, subs []func(Status)) {
	attrs := []any{"id", st.ID, "state", st.State, "phase", st.Phase, "step", st.Step, "weight", st.Weight}
	if st.LastCheck.Verdict != "" {
		attrs = append(attrs, "check", st.LastCheck.Verdict, "detail", st.LastCheck.Detail)
	}
	switch {
	case st.Reason != "" && st.State != StatePromoted:
		m.log.Warn("rollout", append(attrs, "reason", st.Reason)...)
	default:
		m.log.Info("rollout", attrs...)
	}
	for _, fn := range subs {
		fn(st)
	}
}

// trimLocked keeps the newest keepFinished finished rollouts of k.
func (m *Manager) trimLocked(k key) {
	n := 0
	for i := len(m.finished) - 1; i >= 0; i-- {
		f := m.finished[i]
		if f.Function != k.function || f.Alias != k.alias {
			continue
		}
		if n++; n > keepFinished {
			m.finished = slices.Delete(m.finished, i, i+1)
		}
	}
}
