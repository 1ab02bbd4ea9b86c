package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// Sentinel errors callers branch on.
var (
	// ErrInvalidPlan: the plan is wrong; the message names the field.
	ErrInvalidPlan = errors.New("invalid rollout plan")
	// ErrActive: the alias already has a running rollout.
	ErrActive = errors.New("a rollout is already running")
	// ErrNotActive: Abort found no running rollout.
	ErrNotActive = errors.New("no rollout is running")
	// ErrClosed: the Manager was closed.
	ErrClosed = errors.New("rollout manager closed")
)

// Limits that keep a plan sane.
const (
	maxSteps               = 100
	maxInterval            = 24 * time.Hour
	defaultMaxInconclusive = 3
	maxMaxInconclusive     = 100
	// stepTolerance absorbs float rounding in steps such as 3 x 0.1.
	stepTolerance = 1e-9
)

// CustomSchedule is the schedule name of a plan with explicit steps.
const CustomSchedule = "custom"

// Duration is a time.Duration that reads and writes JSON as "5m0s".
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string such as "30s" or "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a value such as \"30s\" or \"5m\"", s)
	}
	*d = Duration(v)
	return nil
}

// Hook is a function invoked before traffic moves (pre-traffic) or after
// promotion (post-traffic); its failure stops the rollout.
type Hook struct {
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"` // "" means $DEFAULT
}

// String renders the hook as FUNCTION:QUALIFIER.
func (h Hook) String() string { return h.Function + ":" + h.Qualifier }

// Gates are checked against the new version's metrics after every interval.
// A zero (absent) gate is off.
type Gates struct {
	// MaxErrorRate fails the rollout when the error rate is above it (0..1);
	// nil is off, 0 tolerates no error at all.
	MaxErrorRate *float64 `json:"maxErrorRate,omitempty"`
	// MaxP99 fails the rollout when the 99th percentile latency is above it.
	MaxP99 Duration `json:"maxP99,omitzero"`
	// MinRequests makes a check with fewer invocations inconclusive: the step
	// is held another interval, and fails after MaxInconclusive such checks.
	MinRequests int `json:"minRequests,omitzero"`
	// MaxDiffRate fails the rollout when more than this share (0..1) of the
	// requests compared between the old and the new version (shadow copies
	// in diff mode) differ beyond noise; nil is off.
	MaxDiffRate *float64 `json:"maxDiffRate,omitempty"`
}

// Plan describes one rollout.
type Plan struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	To       string `json:"to"` // the version that takes the traffic
	// Steps are the fractions of traffic on To, strictly increasing, the last
	// 1 (promotion). Give Steps and Interval, or a named Schedule.
	Steps    []float64 `json:"steps,omitempty"`
	Interval Duration  `json:"interval,omitzero"`
	Schedule string    `json:"schedule,omitempty"`
	Gates    Gates     `json:"gates"`
	// Speed divides every wait, for rehearsal: 60 turns minutes into seconds.
	// 0 means 1.
	Speed       float64 `json:"speed,omitzero"`
	PreTraffic  *Hook   `json:"preTraffic,omitempty"`
	PostTraffic *Hook   `json:"postTraffic,omitempty"`
	// MaxInconclusive is how many consecutive inconclusive checks fail the
	// min-requests gate; 0 means 3.
	MaxInconclusive int `json:"maxInconclusive,omitzero"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPlan, fmt.Sprintf(format, args...))
}

// normalize checks everything about p that needs no registry and fills in
// the defaults: the schedule's steps, speed 1, MaxInconclusive 3.
func normalize(p Plan) (Plan, error) {
	if p.Function == "" {
		return p, invalid("function is missing")
	}
	if p.Alias == "" {
		return p, invalid("alias is missing")
	}
	if p.To == "" {
		return p, invalid("to is missing: name the version to roll out")
	}
	switch {
	case len(p.Steps) > 0 && p.Schedule != "" && p.Schedule != CustomSchedule:
		return p, invalid("give steps or schedule %q, not both", p.Schedule)
	case len(p.Steps) > 0:
		p.Schedule = CustomSchedule
	case p.Schedule == "" || p.Schedule == CustomSchedule:
		return p, invalid("steps: give steps (such as 10,50,100) with an interval, or a named schedule")
	default:
		s, err := ScheduleByName(p.Schedule)
		if err != nil {
			return p, err
		}
		if p.Interval != 0 && time.Duration(p.Interval) != s.Interval {
			return p, invalid("interval: schedule %s has its own interval (%s)", s.Name, s.Interval)
		}
		p.Schedule, p.Steps, p.Interval = s.Name, s.Steps, Duration(s.Interval)
	}
	steps, err := checkSteps(p.Steps)
	if err != nil {
		return p, err
	}
	p.Steps = steps
	iv := time.Duration(p.Interval)
	switch {
	case iv < 0 || iv > maxInterval:
		return p, invalid("interval %s: want 0 < interval <= %s", iv, maxInterval)
	case iv == 0 && len(p.Steps) > 1:
		return p, invalid("interval: steps need an interval between them (such as 30s)")
	}
	if p.Speed == 0 {
		p.Speed = 1
	}
	if math.IsNaN(p.Speed) || math.IsInf(p.Speed, 0) || p.Speed < 1 {
		return p, invalid("speed %g: want 1 or more (60 turns minutes into seconds)", p.Speed)
	}
	if err := checkGates(p.Gates); err != nil {
		return p, err
	}
	if p.MaxInconclusive == 0 {
		p.MaxInconclusive = defaultMaxInconclusive
	}
	if p.MaxInconclusive < 1 || p.MaxInconclusive > maxMaxInconclusive {
		return p, invalid("maxInconclusive %d: want 1..%d", p.MaxInconclusive, maxMaxInconclusive)
	}
	if p.PreTraffic, err = normalizeHook("preTraffic", p.PreTraffic); err != nil {
		return p, err
	}
	if p.PostTraffic, err = normalizeHook("postTraffic", p.PostTraffic); err != nil {
		return p, err
	}
	return p, nil
}

// checkSteps validates fractions: in (0,1], strictly increasing, last 1.
func checkSteps(steps []float64) ([]float64, error) {
	if len(steps) > maxSteps {
		return nil, invalid("steps: %d steps, at most %d", len(steps), maxSteps)
	}
	out := make([]float64, len(steps))
	for i, s := range steps {
		switch {
		case math.IsNaN(s) || s <= 0 || s > 1+stepTolerance:
			return nil, invalid("steps: step %d is %g, want a fraction in (0, 1]", i+1, s)
		case i > 0 && s <= out[i-1]+stepTolerance:
			return nil, invalid("steps: step %d (%g) is not above step %d (%g); steps must increase", i+1, s, i, out[i-1])
		}
		out[i] = math.Min(s, 1)
	}
	if last := out[len(out)-1]; last < 1-stepTolerance {
		return nil, invalid("steps: the last step is %g; it must be 1 (100%%, the promotion)", last)
	}
	out[len(out)-1] = 1
	return out, nil
}

func checkGates(g Gates) error {
	if r := g.MaxErrorRate; r != nil && (math.IsNaN(*r) || *r < 0 || *r > 1) {
		return invalid("gates.maxErrorRate %g: want a fraction 0..1 (0.01 = 1%%)", *r)
	}
	if r := g.MaxDiffRate; r != nil && (math.IsNaN(*r) || *r < 0 || *r > 1) {
		return invalid("gates.maxDiffRate %g: want a fraction 0..1 (0.05 = 5%%)", *r)
	}
	if g.MaxP99 < 0 {
		return invalid("gates.maxP99 %s: want a positive duration", time.Duration(g.MaxP99))
	}
	if g.MinRequests < 0 {
		return invalid("gates.minRequests %d: want 0 or more", g.MinRequests)
	}
	return nil
}

// ParseSteps reads percentages such as "10,25,50,100" (a trailing % is
// allowed) into fractions, checked as a plan's steps are.
func ParseSteps(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalid("steps: empty; want percentages such as 10,25,50,100")
	}
	var out []float64
	for part := range strings.SplitSeq(s, ",") {
		t := strings.TrimSuffix(strings.TrimSpace(part), "%")
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, invalid("steps: %q is not a percentage", strings.TrimSpace(part))
		}
		if v <= 0 || v > 100 {
			return nil, invalid("steps: %g%% is outside (0, 100]", v)
		}
		out = append(out, v/100)
	}
	return checkSteps(out)
}

// normalizeHook returns a copy of h with the default qualifier.
func normalizeHook(field string, h *Hook) (*Hook, error) {
	if h == nil {
		return nil, nil
	}
	c := *h
	if c.Function == "" {
		return nil, invalid("%s: the hook names no function", field)
	}
	if c.Qualifier == "" {
		c.Qualifier = registry.Default
	}
	return &c, nil
}
