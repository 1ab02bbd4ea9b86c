package rollout

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// env is a Manager over fakes. Alias release of function B routes to 1,
// with user Bob sent to 4 and Alice to 2.
type env struct {
	t       *testing.T
	dir     string
	clock   *fakeClock
	aliases *fakeAliases
	met     *fakeMetrics
	inv     *fakeInvoker
	m       *Manager
}

var (
	bobRule   = registry.VersionMatch{Version: "4", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}
	aliceRule = registry.VersionMatch{Version: "2", Key: "invoke.headers.User", Method: "exact", Expression: "Alice"}
	original  = registry.Alias{Name: "release", FunctionVersion: "1", Matches: []registry.VersionMatch{bobRule, aliceRule},
		StickyHeader: "User", Shadow: &registry.Shadow{Version: "2", Weight: 0.5}, Description: "production"}
)

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), clock: newFakeClock(), aliases: newFakeAliases("1", "2", "3", "4"),
		met: &fakeMetrics{}, inv: &fakeInvoker{fail: map[string]error{}}}
	e.aliases.set(original)
	e.aliases.set(registry.Alias{Name: "prepub", FunctionVersion: "1"})
	e.open()
	return e
}

// open starts a Manager on the env's directory and fakes (again, after a
// Close, to simulate a restart).
func (e *env) open() {
	e.t.Helper()
	m, err := New(Options{Dir: e.dir, Aliases: e.aliases, Metrics: e.met, Invoker: e.inv, Clock: e.clock, Parking: e.aliases})
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.m = m
	e.t.Cleanup(m.Close)
}

func (e *env) start(p Plan) Status {
	e.t.Helper()
	st, err := e.m.Start(e.t.Context(), p)
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	return st
}

// waitState waits until the alias' rollout reaches state.
func (e *env) waitState(alias string, state State) Status {
	e.t.Helper()
	var st Status
	eventually(e.t, "state "+string(state), func() bool {
		st, _ = e.m.Get("B", alias)
		return st.State == state
	})
	return st
}

// canary is a plan with one held step: 10% for a minute at speed 60.
func canary(g Gates) Plan {
	return Plan{Function: "B", Alias: "release", To: "2", Steps: []float64{0.1, 1}, Interval: Duration(time.Minute), Speed: 60, Gates: g}
}

// collector keeps what a subscriber saw.
type collector struct {
	mu   sync.Mutex // guards seen
	seen []Status
}

func (c *collector) add(s Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
}

func (c *collector) all() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}

// verdicts lists the verdict of every distinct check, in order.
func (c *collector) verdicts() []string {
	var out []string
	var last time.Time
	for _, s := range c.all() {
		if lc := s.LastCheck; lc.Verdict != "" && !lc.Time.Equal(last) {
			out, last = append(out, lc.Verdict), lc.Time
		}
	}
	return out
}

func rate(f float64) *float64 { return &f }

func weightOn(a registry.Alias, v string) float64 {
	for _, w := range a.Weights {
		if w.Version == v {
			return w.Weight
		}
	}
	return 0
}

func TestRolloutPromotesThroughEveryStep(t *testing.T) {
	e := newEnv(t)
	steps := []float64{0.1, 0.25, 0.5, 1}
	e.met.set("2", 200, 1, 20*time.Millisecond)
	seen := &collector{}
	defer e.m.Subscribe(seen.add)()
	st := e.start(Plan{Function: "B", Alias: "release", To: "2", Steps: steps, Interval: Duration(30 * time.Second), Speed: 10,
		Gates: Gates{MaxErrorRate: rate(0.01), MaxP99: Duration(300 * time.Millisecond), MinRequests: 50}})
	if st.From != "1" || st.Schedule != CustomSchedule || st.State != StateRunning {
		t.Fatalf("start status = %+v", st)
	}
	for i, w := range steps[:len(steps)-1] {
		e.clock.waitForWaiter(t)
		al := e.aliases.get("release")
		if al.FunctionVersion != "1" || weightOn(al, "2") != w || !slices.Equal(al.Matches, original.Matches) || al.StickyHeader != "User" {
			t.Fatalf("step %d: alias = %+v, want primary 1, 2 at %g, rules and sticky header kept", i, al, w)
		}
		if got, _ := e.m.Get("B", "release"); got.Step != i || got.Weight != w || got.NextStepAt.IsZero() {
			t.Fatalf("step %d: status step %d weight %g next %v", i, got.Step, got.Weight, got.NextStepAt)
		}
		e.clock.Advance(3 * time.Second)
	}
	got := e.waitState("release", StatePromoted)
	al := e.aliases.get("release")
	if al.FunctionVersion != "2" || al.Weights != nil || !slices.Equal(al.Matches, []registry.VersionMatch{bobRule}) ||
		al.Shadow != nil || al.Description != "production" {
		t.Fatalf("promoted alias = %+v, want primary 2, no weights, no shadow, only Bob's rule (Alice's and the shadow pointed at 2)", al)
	}
	if got.Weight != 1 || got.LastCheck.Verdict != VerdictPass || !strings.Contains(got.Reason, "primary") {
		t.Errorf("final status = %+v", got)
	}
	for _, w := range e.met.askedWindows() {
		if w != 3*time.Second {
			t.Errorf("gate window %v, want the 3 s since the step began", w)
		}
	}
	eventually(t, "the subscriber to see the promotion", func() bool {
		all := seen.all()
		return len(all) > 0 && all[len(all)-1].State == StatePromoted
	})
	if _, err := e.m.Start(t.Context(), canary(Gates{})); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("rolling out the primary again: err = %v, want ErrInvalidPlan", err)
	}
}

func TestGateFailureRollsBack(t *testing.T) {
	cases := []struct {
		name              string
		gates             Gates
		requests, errs    int
		p99               time.Duration
		checks            int // intervals until the verdict
		wantState         State
		wantReason        string
		wantInconclusives int
	}{
		{name: "error rate", gates: Gates{MaxErrorRate: rate(0.01)}, requests: 120, errs: 15, checks: 1,
			wantState: StateRolledBack, wantReason: "gate max-error-rate: 12.5% > 1.0% (15 errors in 120 requests)"},
		{name: "zero error rate tolerates none", gates: Gates{MaxErrorRate: rate(0)}, requests: 1000, errs: 1, checks: 1,
			wantState: StateRolledBack, wantReason: "gate max-error-rate: 0.1% > 0.0% (1 errors in 1000 requests)"},
		{name: "p99", gates: Gates{MaxErrorRate: rate(0.01), MaxP99: Duration(300 * time.Millisecond)}, requests: 80, p99: 420 * time.Millisecond,
			checks: 1, wantState: StateRolledBack, wantReason: "gate max-p99: 420ms > 300ms (p99 of 80 requests)"},
		{name: "min requests inconclusive then fail", gates: Gates{MinRequests: 50, MaxErrorRate: rate(0.01)}, requests: 12, checks: 3,
			wantState: StateRolledBack, wantReason: "gate min-requests: 12 < 50 requests to version 2 after 3 checks", wantInconclusives: 2},
		{name: "good version", gates: Gates{MinRequests: 50, MaxErrorRate: rate(0.01), MaxP99: Duration(time.Second)}, requests: 60, errs: 0,
			p99: 30 * time.Millisecond, checks: 1, wantState: StatePromoted},
		{name: "no gates, no traffic", requests: 0, checks: 1, wantState: StatePromoted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.met.set("1", 5000, 0, time.Millisecond) // the old version's figures must not count
			e.met.set("2", tc.requests, tc.errs, tc.p99)
			seen := &collector{}
			defer e.m.Subscribe(seen.add)()
			e.start(canary(tc.gates))
			for range tc.checks {
				e.clock.waitForWaiter(t)
				e.clock.Advance(time.Second)
			}
			st := e.waitState("release", tc.wantState)
			if !strings.Contains(st.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", st.Reason, tc.wantReason)
			}
			al := e.aliases.get("release")
			if tc.wantState == StateRolledBack {
				if !routingOf(al).equal(routingOf(original)) || al.StickyHeader != "User" {
					t.Errorf("alias after rollback = %+v, want the original routing", al)
				}
				if st.Weight != 0 || st.LastCheck.Verdict != VerdictFail || st.LastCheck.Requests != tc.requests {
					t.Errorf("status = %+v", st)
				}
			}
			verdicts := seen.verdicts()
			if n := strings.Count(strings.Join(verdicts, ","), VerdictInconclusive); n != tc.wantInconclusives {
				t.Errorf("verdicts %v: %d inconclusive, want %d", verdicts, n, tc.wantInconclusives)
			}
			if tc.checks > 1 {
				want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
				if got := e.met.askedWindows(); !slices.Equal(got, want) {
					t.Errorf("windows %v, want %v: a held step keeps its start", got, want)
				}
			}
		})
	}
}

func TestHooks(t *testing.T) {
	cases := []struct {
		name       string
		failing    string // the hook function that fails
		wantState  State
		wantReason string
		wantCalls  []string // phases called
		wantAlias  string   // primary at the end
		wantWrites int
	}{
		{name: "both pass", wantState: StatePromoted, wantCalls: []string{"pre-traffic", "post-traffic"}, wantAlias: "2", wantWrites: 2},
		{name: "pre-traffic fails", failing: "pre", wantState: StateFailed, wantCalls: []string{"pre-traffic"},
			wantReason: "pre-traffic hook pre:$DEFAULT failed: smoke test failed; traffic was not moved", wantAlias: "1", wantWrites: 0},
		{name: "post-traffic fails", failing: "post", wantState: StateRolledBack, wantCalls: []string{"pre-traffic", "post-traffic"},
			wantReason: "post-traffic hook post:1 failed: smoke test failed", wantAlias: "1", wantWrites: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.failing != "" {
				e.inv.fail[tc.failing] = errHook
			}
			p := canary(Gates{})
			p.PreTraffic, p.PostTraffic = &Hook{Function: "pre"}, &Hook{Function: "post", Qualifier: "1"}
			e.start(p)
			if tc.failing != "pre" {
				e.clock.waitForWaiter(t)
				e.clock.Advance(time.Second)
			}
			st := e.waitState("release", tc.wantState)
			if !strings.Contains(st.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", st.Reason, tc.wantReason)
			}
			var phases []string
			for _, c := range e.inv.called() {
				var ev hookEvent
				_, body, _ := strings.Cut(c, " ")
				if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.From != "1" || ev.To != "2" || ev.Alias != "release" {
					t.Errorf("hook event %s: %v", body, err)
				}
				phases = append(phases, string(ev.Phase))
			}
			if !slices.Equal(phases, tc.wantCalls) {
				t.Errorf("hooks called %v, want %v", phases, tc.wantCalls)
			}
			if al := e.aliases.get("release"); al.FunctionVersion != tc.wantAlias {
				t.Errorf("alias primary %s, want %s", al.FunctionVersion, tc.wantAlias)
			}
			if n := e.aliases.updateCount(); n != tc.wantWrites {
				t.Errorf("%d alias writes, want %d", n, tc.wantWrites)
			}
		})
	}
}

func TestDriftAbortsWithoutOverwriting(t *testing.T) {
	e := newEnv(t)
	e.met.set("2", 100, 0, time.Millisecond)
	e.start(canary(Gates{MaxErrorRate: rate(0.01)}))
	e.clock.waitForWaiter(t)
	// A person rolls back by hand in the middle of the step.
	byHand := registry.Alias{Name: "release", FunctionVersion: "3"}
	e.aliases.set(byHand)
	e.clock.Advance(time.Second)
	st := e.waitState("release", StateAborted)
	if !strings.HasPrefix(st.Reason, reasonDrift) {
		t.Errorf("reason = %q, want it to start with %q", st.Reason, reasonDrift)
	}
	if al := e.aliases.get("release"); al.FunctionVersion != "3" || al.Weights != nil {
		t.Errorf("alias = %+v, want the hand-made routing left alone", al)
	}
}

func TestOneRolloutPerAlias(t *testing.T) {
	e := newEnv(t)
	first := e.start(canary(Gates{}))
	_, err := e.m.Start(t.Context(), canary(Gates{}))
	if !errors.Is(err, ErrActive) || !strings.Contains(err.Error(), first.ID) {
		t.Fatalf("second start: err = %v, want ErrActive naming %s", err, first.ID)
	}
	other := canary(Gates{})
	other.Alias = "prepub"
	if _, err := e.m.Start(t.Context(), other); err != nil {
		t.Fatalf("another alias: %v", err)
	}
	if n := len(e.m.List("B")); n != 2 {
		t.Errorf("List: %d rollouts, want 2", n)
	}
	st, err := e.m.Abort("B", "release", "")
	if err != nil || st.State != StateAborted {
		t.Fatalf("Abort = %+v, %v", st, err)
	}
	if al := e.aliases.get("release"); al.FunctionVersion != "1" || al.Weights != nil {
		t.Errorf("alias after abort = %+v, want the original routing", al)
	}
	if _, err := e.m.Abort("B", "release", ""); !errors.Is(err, ErrNotActive) {
		t.Errorf("second abort: err = %v, want ErrNotActive", err)
	}
	if _, err := e.m.Start(t.Context(), canary(Gates{})); err != nil {
		t.Errorf("start after the abort: %v", err)
	}
}

func TestAliasWriteFailureRestores(t *testing.T) {
	e := newEnv(t)
	e.start(canary(Gates{}))
	e.clock.waitForWaiter(t)
	e.aliases.mu.Lock()
	e.aliases.failNext = errors.New("disk full")
	e.aliases.mu.Unlock()
	e.clock.Advance(time.Second)
	st := e.waitState("release", StateFailed)
	if !strings.Contains(st.Reason, "disk full") || !strings.Contains(st.Reason, "original routing restored") {
		t.Errorf("reason = %q", st.Reason)
	}
	if al := e.aliases.get("release"); al.FunctionVersion != "1" || al.Weights != nil {
		t.Errorf("alias = %+v, want the original routing", al)
	}
}
