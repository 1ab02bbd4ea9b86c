package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// reasonDrift starts the reason of a rollout stopped because a person
// changed the alias; the rollout then leaves the alias as they set it.
const reasonDrift = "alias changed outside the rollout"

// drive runs the rollout from its current phase until it ends or ctx is
// cancelled (Abort or Close). It only stops between alias writes. While
// the function is parked it waits for it (hold.go).
func (m *Manager) drive(ctx context.Context, r *run) {
	for ctx.Err() == nil && !r.rec.State.Terminal() {
		if r.rec.State == StateHeld {
			if !m.waitHeld(ctx, r) {
				return
			}
			continue
		}
		var more bool
		switch r.rec.Phase {
		case PhasePreTraffic:
			more = m.preTraffic(ctx, r)
		case PhaseTraffic:
			more = m.step(ctx, r)
		case PhasePostTraffic:
			more = m.postTraffic(ctx, r)
		case PhaseRollback:
			m.rollBack(r, r.rec.Pending, r.rec.Reason)
		default:
			m.update(r, func(rec *record) {
				rec.State, rec.Reason = StateAborted, fmt.Sprintf("unknown phase %q in the saved state", rec.Phase)
			})
		}
		if !more && r.rec.State != StateHeld {
			return
		}
	}
}

func (m *Manager) preTraffic(ctx context.Context, r *run) bool {
	h := r.rec.PreTraffic
	if h != nil {
		if err := m.hook(ctx, r, PhasePreTraffic, h); err != nil {
			if ctx.Err() != nil || m.interrupted(r) {
				return false // stopped, not failed: a restart or the restore runs the hook again
			}
			if errors.Is(err, errHookStopped) {
				return true // parked and back already: run it again
			}
			m.update(r, func(rec *record) {
				rec.State = StateFailed
				rec.Reason = fmt.Sprintf("pre-traffic hook %s failed: %v; traffic was not moved", h, err)
			})
			return false
		}
	}
	m.update(r, func(rec *record) { rec.Phase, rec.Step = PhaseTraffic, 0 })
	return true
}

// step applies the current step's weights, promotes at the last step, or
// waits one interval and checks the gates.
func (m *Manager) step(ctx context.Context, r *run) bool {
	rec := &r.rec
	if !m.apply(r, stepRouting(rec.Original, rec.To, rec.Steps[rec.Step])) {
		return false
	}
	if rec.Step == len(rec.Steps)-1 {
		if rec.PostTraffic != nil {
			m.update(r, func(rec *record) { rec.Phase = PhasePostTraffic })
			return true
		}
		m.promoted(r)
		return false
	}
	wait := rec.wait()
	m.update(r, func(rec *record) {
		now := m.clock.Now()
		if rec.StepStart.IsZero() {
			rec.StepStart = now
		}
		rec.NextStepAt = now.Add(wait)
	})
	if !m.sleep(ctx, r, wait) {
		return false
	}
	if _, _, ok := m.current(r, ""); !ok {
		return false
	}
	c := m.evaluate(rec)
	switch c.Verdict {
	case VerdictPass:
		m.update(r, func(rec *record) {
			rec.LastCheck, rec.Inconclusive, rec.StepStart, rec.NextStepAt = c, 0, time.Time{}, time.Time{}
			rec.Step++
		})
	case VerdictInconclusive:
		m.update(r, func(rec *record) {
			rec.LastCheck, rec.Inconclusive, rec.NextStepAt = c, rec.Inconclusive+1, time.Time{}
		})
	default:
		m.update(r, func(rec *record) { rec.LastCheck, rec.NextStepAt = c, time.Time{} })
		m.rollBack(r, StateRolledBack, c.Detail)
		return false
	}
	return true
}

func (m *Manager) postTraffic(ctx context.Context, r *run) bool {
	h := r.rec.PostTraffic
	if err := m.hook(ctx, r, PhasePostTraffic, h); err != nil {
		if ctx.Err() != nil || m.interrupted(r) {
			return false
		}
		if errors.Is(err, errHookStopped) {
			return true // parked and back already: run it again
		}
		m.rollBack(r, StateRolledBack, fmt.Sprintf("post-traffic hook %s failed: %v", h, err))
		return false
	}
	m.promoted(r)
	return false
}

func (m *Manager) promoted(r *run) {
	m.update(r, func(rec *record) {
		rec.State = StatePromoted
		rec.Reason = fmt.Sprintf("version %s is now the primary version of alias %s; weights cleared", rec.To, rec.Alias)
	})
}

// hookEvent is the event a hook function receives.
type hookEvent struct {
	RolloutID string `json:"rolloutId"`
	Phase     Phase  `json:"phase"`
	Function  string `json:"function"`
	Alias     string `json:"alias"`
	From      string `json:"from"`
	To        string `json:"to"`
}

func (m *Manager) hook(ctx context.Context, r *run, phase Phase, h *Hook) error {
	if m.opts.Invoker == nil {
		return errors.New("this emulator cannot run hooks")
	}
	rec := &r.rec
	ev, err := json.Marshal(hookEvent{RolloutID: rec.ID, Phase: phase, Function: rec.Function, Alias: rec.Alias, From: rec.From, To: rec.To})
	if err != nil {
		return err
	}
	hctx, release := m.hookContext(ctx, r)
	defer release()
	if hctx.Err() != nil {
		return context.Cause(hctx) // parked, deleted or stopped before it started: not run
	}
	err = m.opts.Invoker.InvokeHook(hctx, h.Function, h.Qualifier, ev)
	if cause := context.Cause(hctx); err != nil && errors.Is(cause, errHookStopped) {
		return cause // whatever the invocation made of it, it was stopped
	}
	return err
}

// current reads the alias and checks that it is as the rollout left it. If
// it is gone or was changed by hand, the rollout ends aborted (the reason
// starting with prefix) and the alias is left alone; if its function is
// parked, the rollout is held.
func (m *Manager) current(r *run, prefix string) (registry.Alias, routing, bool) {
	rec := &r.rec
	al, err := m.opts.Aliases.Alias(rec.Function, rec.Alias)
	if err != nil {
		if m.interrupted(r) {
			return al, routing{}, false
		}
		m.update(r, func(rec *record) {
			rec.State, rec.Reason = StateAborted, fmt.Sprintf("%salias %s of function %s is gone: %v", prefix, rec.Alias, rec.Function, err)
		})
		return al, routing{}, false
	}
	cur := routingOf(al)
	if !rec.ours(cur) {
		m.update(r, func(rec *record) { rec.State, rec.Reason = StateAborted, prefix+driftReason(rec, cur) })
		return al, cur, false
	}
	return al, cur, true
}

func driftReason(rec *record, cur routing) string {
	return fmt.Sprintf("%s: it routes %s, the rollout had set %s; left as it is", reasonDrift, describe(cur), describe(rec.Applied))
}

// apply makes the alias route as want, unless it was changed by hand.
// The intent is saved before the write so a crash in between is recognised.
func (m *Manager) apply(r *run, want routing) bool {
	rec := &r.rec
	al, cur, ok := m.current(r, "")
	if !ok {
		return false
	}
	if cur.equal(want) {
		if !rec.Applied.equal(want) || rec.Target != nil {
			m.update(r, func(rec *record) { rec.Applied, rec.Target, rec.Weight = want, nil, weightOf(want, rec.To) })
		}
		return true
	}
	target := want // its own variable: want is reassigned below, outside the lock
	m.update(r, func(rec *record) { rec.Target = &target })
	// Between the read and this write a hand edit could slip in; the
	// registry has no compare-and-swap, and the window is microseconds.
	if err := m.opts.Aliases.UpdateAlias(rec.Function, want.onto(al)); err != nil {
		m.update(r, func(rec *record) { rec.Target = nil })
		if m.interrupted(r) {
			return false
		}
		m.rollBack(r, StateFailed, fmt.Sprintf("could not route alias %s as %s: %v", rec.Alias, describe(want), err))
		return false
	}
	stored := m.readBack(rec, want)
	m.update(r, func(rec *record) {
		rec.Applied, rec.Target, rec.Weight, rec.StepStart = stored, nil, weightOf(stored, rec.To), m.clock.Now()
	})
	return true
}

// readBack returns the alias' routing as stored after a write of wrote, so
// that whatever form the registry stores it in counts as the rollout's own.
func (m *Manager) readBack(rec *record, wrote routing) routing {
	al, err := m.opts.Aliases.Alias(rec.Function, rec.Alias)
	if err != nil {
		return wrote // the next boundary reports the alias gone
	}
	return routingOf(al)
}

// rollBack ends the rollout in state with reason, restoring the alias'
// original routing if the alias is still as the rollout left it. If the
// function is parked, the rollout is held with the rollback pending.
func (m *Manager) rollBack(r *run, state State, reason string) Status {
	if state == "" || state == StateRunning {
		state = StateAborted
	}
	rec := &r.rec
	m.update(r, func(rec *record) {
		rec.Phase, rec.Pending, rec.Reason, rec.NextStepAt = PhaseRollback, state, reason, time.Time{}
	})
	al, err := m.opts.Aliases.Alias(rec.Function, rec.Alias)
	if err != nil {
		if m.interrupted(r) {
			return m.status(r)
		}
		return m.update(r, func(rec *record) {
			rec.State, rec.Reason = state, reason+"; the alias is gone, nothing to restore"
		})
	}
	cur := routingOf(al)
	switch {
	case cur.equal(rec.Original):
		return m.update(r, func(rec *record) {
			rec.State, rec.Applied, rec.Weight = state, rec.Original, weightOf(rec.Original, rec.To)
		})
	case !rec.ours(cur):
		return m.update(r, func(rec *record) {
			rec.State, rec.Reason = StateAborted, driftReason(rec, cur)+" (was stopping: "+reason+")"
		})
	}
	orig := rec.Original
	m.update(r, func(rec *record) { rec.Target = &orig })
	if err := m.opts.Aliases.UpdateAlias(rec.Function, orig.onto(al)); err != nil {
		m.update(r, func(rec *record) { rec.Target = nil })
		if m.interrupted(r) {
			return m.status(r)
		}
		return m.update(r, func(rec *record) {
			rec.State, rec.Reason = state, fmt.Sprintf("%s; restoring the original routing (%s) failed: %v", reason, describe(orig), err)
		})
	}
	stored := m.readBack(rec, orig)
	return m.update(r, func(rec *record) {
		rec.State, rec.Applied, rec.Weight = state, stored, weightOf(stored, rec.To)
		rec.Reason = reason + "; original routing restored (" + describe(orig) + ")"
	})
}

// resume checks a rollout loaded as running after a restart, or held
// while its function was parked, and says whether to drive it on; a
// failed check ends it with a reason starting with prefix. The step's
// interval starts again from now: the metrics of the previous run are gone
// (or, parked, nothing was served).
func (m *Manager) resume(r *run, prefix string) bool {
	rec := &r.rec
	if rec.Phase == PhaseRollback {
		if rec.State == StateHeld {
			m.update(r, func(rec *record) { rec.State, rec.Hold = StateRunning, nil })
		}
		m.rollBack(r, rec.Pending, rec.Reason)
		return false
	}
	if _, _, ok := m.current(r, prefix); !ok {
		return false
	}
	if _, err := m.opts.Aliases.Version(rec.Function, rec.To); err != nil {
		m.rollBack(r, StateAborted, fmt.Sprintf("%sversion %s is gone: %v", prefix, rec.To, err))
		return false
	}
	if _, err := m.opts.Aliases.Version(rec.Function, rec.From); err != nil && rec.Phase != PhasePostTraffic {
		m.rollBack(r, StateAborted, fmt.Sprintf("%sversion %s is gone: %v", prefix, rec.From, err))
		return false
	}
	held := rec.State == StateHeld
	m.update(r, func(rec *record) {
		rec.State, rec.Hold = StateRunning, nil
		rec.Inconclusive, rec.NextStepAt = 0, time.Time{}
		if !rec.StepStart.IsZero() {
			rec.StepStart = m.clock.Now()
		}
	})
	m.log.Info("rollout resumed", "id", rec.ID, "phase", rec.Phase, "step", rec.Step, "was_held", held)
	return true
}

// status is the rollout's status, for the goroutine that owns it.
func (m *Manager) status(r *run) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return r.rec.Status
}

// weightOf is the share of traffic r gives version v outside header rules.
func weightOf(r routing, v string) float64 {
	if r.Primary == v {
		return 1
	}
	for _, w := range r.Weights {
		if w.Version == v {
			return w.Weight
		}
	}
	return 0
}

// describe renders a routing compactly: 1 (2:10%, 4 if User exact Bob).
func describe(r routing) string {
	var extra []string
	for _, w := range r.Weights {
		extra = append(extra, fmt.Sprintf("%s:%g%%", w.Version, w.Weight*100))
	}
	for _, mt := range r.Matches {
		extra = append(extra, fmt.Sprintf("%s if %s %s %s", mt.Version, strings.TrimPrefix(mt.Key, "invoke.headers."), mt.Method, mt.Expression))
	}
	if r.Shadow != nil {
		extra = append(extra, fmt.Sprintf("shadow %s:%g%%", r.Shadow.Version, r.Shadow.Weight*100))
	}
	if len(extra) == 0 {
		return r.Primary
	}
	return r.Primary + " (" + strings.Join(extra, ", ") + ")"
}
