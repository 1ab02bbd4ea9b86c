package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// A function that leaves emulator.yaml is parked (registry/park.go): its
// aliases are kept but neither read nor written until it is added back. A
// rollout on such an alias is held, not failed: its progress and schedule
// stay, nothing moves, and it resumes where it stood when the function
// comes back, its step's clock starting again then (the parked time is no
// soak time: nothing was served). Deleting the parked function ends it.
//
// The goroutine driving a rollout finds out by itself at its next alias
// read or write; OnChange wakes it at once from a wait, and stops a hook it
// is running (the hook is not the rollout's to finish while nothing of the
// function is served: the restore runs it again). Either way it asks the
// registry (Parking), so the order of the two does not matter.

// errHookStopped is why OnChange stopped a hook: the causes of the hook's
// context wrap it.
var errHookStopped = errors.New("hook stopped")

// errStopping is the cause Close cancels the rollouts' goroutines with: a
// hook under way then ends with it, and its log record says so. The
// rollouts stay running on disk and resume at the next start.
var errStopping = fmt.Errorf("%w: the emulator is stopping; the rollout resumes when it starts again", ErrClosed)

// Parking tells whether a function is parked; *registry.Registry satisfies
// it.
type Parking interface {
	ParkedFunction(name string) (registry.Parked, bool)
}

// OnChange follows the registry's changes (Registry.Subscribe): a rollout
// whose function is parked is held, its hook stopped if one runs; one whose
// function comes back resumes, and one whose function is deleted ends. It
// never blocks.
func (m *Manager) OnChange(c registry.Change) {
	switch c.Kind {
	case registry.ChangeFunctionParked, registry.ChangeFunctionRestored, registry.ChangeFunctionDeleted:
	default:
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.running {
		if r.rec.Function != c.Function {
			continue
		}
		switch {
		case c.Kind == registry.ChangeFunctionDeleted:
			r.deleted = true
			if r.stopHook != nil {
				r.stopHook(fmt.Errorf("%w: function %s was deleted", errHookStopped, c.Function))
			}
		case c.Kind == registry.ChangeFunctionParked && r.stopHook != nil:
			r.stopHook(fmt.Errorf("%w: function %s was parked", errHookStopped, c.Function))
		}
		select {
		case r.wake <- struct{}{}:
		default: // a nudge is pending; the goroutine reads the registry then
		}
	}
}

// hookContext is ctx for a hook of r, which OnChange cancels when r's
// function is parked or deleted; release ends it once the hook is done.
// Parked or deleted already, the context ends at once: OnChange may have
// come before r had a hook to stop.
func (m *Manager) hookContext(ctx context.Context, r *run) (hctx context.Context, release func()) {
	hctx, stop := context.WithCancelCause(ctx)
	m.mu.Lock()
	r.stopHook = stop
	deleted := r.deleted
	m.mu.Unlock()
	switch {
	case deleted:
		stop(fmt.Errorf("%w: function %s was deleted", errHookStopped, r.rec.Function))
	case m.parked(r.rec.Function):
		stop(fmt.Errorf("%w: function %s was parked", errHookStopped, r.rec.Function))
	}
	return hctx, func() {
		m.mu.Lock()
		r.stopHook = nil
		m.mu.Unlock()
		stop(nil)
	}
}

func (m *Manager) parked(function string) bool {
	if m.opts.Parking == nil {
		return false
	}
	_, ok := m.opts.Parking.ParkedFunction(function)
	return ok
}

// interrupted is asked when the alias could not be read or written, or
// OnChange woke the goroutine: if the function was deleted it ends the
// rollout, if it is parked it holds it, and it reports either.
func (m *Manager) interrupted(r *run) bool {
	m.mu.Lock()
	deleted := r.deleted
	m.mu.Unlock()
	switch {
	case deleted:
		m.endDeleted(r)
	case m.parked(r.rec.Function):
		m.hold(r)
	default:
		return false
	}
	return true
}

// hold marks the rollout held. A rollout held already keeps its Since; its
// reason follows the phase (an abort while held turns it into a rollback
// pending the function's return).
func (m *Manager) hold(r *run) {
	reason := holdReason(&r.rec)
	if h := r.rec.Hold; r.rec.State == StateHeld && h != nil && h.Reason == reason {
		return
	}
	m.update(r, func(rec *record) {
		since := m.clock.Now()
		if rec.State == StateHeld && rec.Hold != nil {
			since = rec.Hold.Since
		}
		rec.State, rec.Hold, rec.NextStepAt = StateHeld, &Hold{Reason: reason, Since: since}, time.Time{}
	})
}

func holdReason(rec *record) string {
	then := "the rollout goes on where it stood when the function is added back"
	if rec.Phase == PhaseRollback {
		then = fmt.Sprintf("the alias' original routing is restored when the function is added back (%s)", rec.Reason)
	}
	return fmt.Sprintf("function %s is parked (it left emulator.yaml): %s; deleting the function ends the rollout", rec.Function, then)
}

// waitHeld waits while the rollout's function is parked. It reports whether
// to drive on: the function came back and the rollout resumed, or it was
// parked again at once and is held again.
func (m *Manager) waitHeld(ctx context.Context, r *run) bool {
	for {
		m.mu.Lock()
		deleted := r.deleted
		m.mu.Unlock()
		if deleted {
			m.endDeleted(r)
			return false
		}
		if !m.parked(r.rec.Function) {
			// Deleted while the emulator was down, the deletion was never
			// seen: the function is simply gone.
			if _, err := m.opts.Aliases.Alias(r.rec.Function, r.rec.Alias); errors.Is(err, registry.ErrFunctionNotFound) {
				m.endDeleted(r)
				return false
			}
			more := m.resume(r, fmt.Sprintf("could not resume when function %s came back: ", r.rec.Function))
			// Parked again before it could resume: held again, wait on.
			return more || r.rec.State == StateHeld
		}
		select {
		case <-ctx.Done():
			return false // Close: it stays held on disk, and the next New waits again
		case <-r.wake:
		}
	}
}

// sleep waits d, unless ctx ends or the function is parked or deleted
// first; it reports whether d passed.
func (m *Manager) sleep(ctx context.Context, r *run, d time.Duration) bool {
	timer := m.clock.After(d)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer:
			return true
		case <-r.wake:
			if m.interrupted(r) {
				return false
			}
		}
	}
}

// endDeleted ends the rollout because its function was deleted.
func (m *Manager) endDeleted(r *run) {
	how := " (DeleteFunction)"
	if r.rec.State == StateHeld {
		how = " while parked (`emulator gc --parked` or DeleteFunction)"
	}
	m.update(r, func(rec *record) { endDeletedRecord(rec, how) })
}

// endDeletedRecord ends rec because its function was deleted, how saying
// when or by what. A rollback that was pending ends in its own state.
func endDeletedRecord(rec *record, how string) {
	state, reason := StateAborted, fmt.Sprintf("function %s was deleted%s; the rollout ends with it, nothing to restore", rec.Function, how)
	if rec.Phase == PhaseRollback && rec.Pending != "" {
		state, reason = rec.Pending, rec.Reason+"; "+reason
	}
	rec.State, rec.Reason = state, reason
	rec.Phase, rec.NextStepAt, rec.Target, rec.Pending, rec.Hold = "", time.Time{}, nil, "", nil
}

// relaunch gives a held rollout whose goroutine has exited (Abort stopped
// it) a new one, which waits for the function to come back.
func (m *Manager) relaunch(r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := key{r.rec.Function, r.rec.Alias}
	if m.closed || m.running[k] != r {
		return // closed: it stays held on disk and the next New waits
	}
	nr := m.newRun(r.rec)
	nr.deleted = r.deleted
	m.running[k] = nr
	m.launch(nr) // under mu, so Close's Wait covers it
}
