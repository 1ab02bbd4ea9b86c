package rollout

import (
	"math"
	"slices"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// State is where a rollout stands.
type State string

// States. Running and held are the ones that are not final.
const (
	StateRunning    State = "running"
	StateHeld       State = "held"        // the function is parked: nothing moves until it is back (Status.Hold says why)
	StatePromoted   State = "promoted"    // the new version is the primary, weights cleared
	StateRolledBack State = "rolled-back" // a gate or the post-traffic hook failed; original routing restored
	StateAborted    State = "aborted"     // stopped by a person, by drift or at a restart that could not resume
	StateFailed     State = "failed"      // the pre-traffic hook or an alias update failed
)

// Terminal reports whether s is final.
func (s State) Terminal() bool { return s != StateRunning && s != StateHeld }

// Hold says why a held rollout waits and since when. Its phase, step,
// weights and checks stay as they were; the step's clock starts again when
// it resumes.
type Hold struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// Phase is what a running rollout is doing.
type Phase string

// Phases of a running rollout.
const (
	PhasePreTraffic  Phase = "pre-traffic"  // running the pre-traffic hook; no traffic moved yet
	PhaseTraffic     Phase = "traffic"      // shifting traffic step by step
	PhasePostTraffic Phase = "post-traffic" // all traffic on the new version; running the post-traffic hook before promotion
	PhaseRollback    Phase = "rollback"     // restoring the original routing
)

// Verdicts of a gate check.
const (
	VerdictPass         = "pass"
	VerdictFail         = "fail"
	VerdictInconclusive = "inconclusive"
)

// Check is one evaluation of the gates against the new version's metrics.
type Check struct {
	Time      time.Time `json:"time"`
	Window    Duration  `json:"window"` // the metrics window: the time since the step began
	Requests  int       `json:"requests"`
	Errors    int       `json:"errors"`
	ErrorRate float64   `json:"errorRate"`
	P99       Duration  `json:"p99"`
	// Compared and DiffRate are the diff gate's figures, when it is on.
	Compared int     `json:"compared,omitempty"`
	DiffRate float64 `json:"diffRate,omitempty"`
	Verdict  string  `json:"verdict"`
	Detail   string  `json:"detail"`
}

// Status is a rollout as callers (the CLI, the dashboard) see it.
type Status struct {
	ID              string    `json:"id"` // function/alias/<unix nanos of the start>
	Function        string    `json:"function"`
	Alias           string    `json:"alias"`
	From            string    `json:"from"` // the alias' primary version at the start
	To              string    `json:"to"`
	Schedule        string    `json:"schedule"` // a schedule name or "custom"
	Steps           []float64 `json:"steps"`
	Interval        Duration  `json:"interval"`
	Speed           float64   `json:"speed"`
	Gates           Gates     `json:"gates"`
	PreTraffic      *Hook     `json:"preTraffic,omitempty"`
	PostTraffic     *Hook     `json:"postTraffic,omitempty"`
	MaxInconclusive int       `json:"maxInconclusive"`
	State           State     `json:"state"`
	Phase           Phase     `json:"phase,omitempty"` // while running or held: where it goes on from
	Hold            *Hold     `json:"hold,omitempty"`  // while held
	Step            int       `json:"step"`            // index into Steps
	Weight          float64   `json:"weight"`          // the share of traffic To has now
	Reason          string    `json:"reason,omitempty"`
	LastCheck       Check     `json:"lastCheck,omitzero"`
	StartedAt       time.Time `json:"startedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	NextStepAt      time.Time `json:"nextStepAt,omitzero"` // when the running step is checked next
}

// wait is how long one interval lasts at the rollout's speed.
func (s Status) wait() time.Duration {
	return time.Duration(float64(s.Interval) / s.Speed)
}

// routing is the part of an alias a rollout changes or must restore. The
// rest (the sticky header, the description) is left as the alias has it.
type routing struct {
	Primary string                   `json:"primary"`
	Weights []registry.VersionWeight `json:"weights,omitempty"`
	Matches []registry.VersionMatch  `json:"matches,omitempty"`
	Shadow  *registry.Shadow         `json:"shadow,omitempty"`
}

func routingOf(a registry.Alias) routing {
	p := a.FunctionVersion
	if p == "" {
		p = registry.Latest
	}
	r := routing{Primary: p, Weights: slices.Clone(a.Weights), Matches: slices.Clone(a.Matches)}
	if a.Shadow != nil {
		s := *a.Shadow
		r.Shadow = &s
	}
	return r
}

// onto returns a with r's routing.
func (r routing) onto(a registry.Alias) registry.Alias {
	a.FunctionVersion = r.Primary
	a.Weights = slices.Clone(r.Weights)
	a.Matches = slices.Clone(r.Matches)
	a.Shadow = nil
	if r.Shadow != nil {
		s := *r.Shadow
		a.Shadow = &s
	}
	return a
}

func (r routing) equal(o routing) bool {
	if r.Primary != o.Primary || len(r.Weights) != len(o.Weights) || !slices.Equal(r.Matches, o.Matches) {
		return false
	}
	if (r.Shadow == nil) != (o.Shadow == nil) ||
		r.Shadow != nil && (r.Shadow.Version != o.Shadow.Version || math.Abs(r.Shadow.Weight-o.Shadow.Weight) > stepTolerance) {
		return false
	}
	for i, w := range r.Weights {
		if w.Version != o.Weights[i].Version || math.Abs(w.Weight-o.Weights[i].Weight) > stepTolerance {
			return false
		}
	}
	return true
}

// stepRouting is the routing of the original alias with share w on version
// to: a weight below 1, or the promotion at 1, where to becomes the primary,
// the weights are cleared and rules and a shadow copy that pointed at to are
// dropped (the primary cannot also be their target).
func stepRouting(orig routing, to string, w float64) routing {
	r := routing{Primary: orig.Primary, Shadow: orig.Shadow}
	if w < 1 {
		r.Weights = []registry.VersionWeight{{Version: to, Weight: w}}
		r.Matches = slices.Clone(orig.Matches)
		return r
	}
	r.Primary = to
	for _, m := range orig.Matches {
		if m.Version != to {
			r.Matches = append(r.Matches, m)
		}
	}
	if r.Shadow != nil && r.Shadow.Version == to {
		r.Shadow = nil
	}
	return r
}

// record is a rollout as it is persisted: its status and what the manager
// needs to resume or undo it.
type record struct {
	Status
	// Original is the alias' routing at the start, restored on rollback.
	Original routing `json:"original"`
	// Applied is what the alias holds after the rollout's last confirmed write.
	Applied routing `json:"applied"`
	// Target is a write in flight: recorded before the alias is updated and
	// cleared after, so a restart between the two accepts either.
	Target *routing `json:"target,omitempty"`
	// Pending is the final state a rollback in flight ends in.
	Pending State `json:"pending,omitempty"`
	// StepStart is when the running step's weights took effect; the gates'
	// metrics window starts there.
	StepStart time.Time `json:"stepStart,omitzero"`
	// Inconclusive counts consecutive inconclusive checks of this step.
	Inconclusive int `json:"inconclusive,omitzero"`
}

// ours reports whether the alias' routing is what the rollout last wrote, or
// the write it had in flight.
func (r *record) ours(cur routing) bool {
	return cur.equal(r.Applied) || (r.Target != nil && cur.equal(*r.Target))
}
