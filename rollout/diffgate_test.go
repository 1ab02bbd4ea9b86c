package rollout

import (
	"strings"
	"testing"
	"time"
)

// fakeDiffs reports a fixed diff rate for one version pair.
type fakeDiffs struct {
	from, to string
	rate     float64
	compared int
}

func (f fakeDiffs) DiffRate(function, alias, from, to string) (float64, int) {
	if function != "B" || alias != "release" || from != f.from || to != f.to {
		return 0, 0
	}
	return f.rate, f.compared
}

func TestDiffGate(t *testing.T) {
	cases := []struct {
		name       string
		diffs      fakeDiffs
		gates      Gates
		wantState  State
		wantReason string
	}{
		{"differences above the gate roll back", fakeDiffs{"1", "2", 0.25, 40}, Gates{MaxDiffRate: rate(0.05)},
			StateRolledBack, "gate max-diff-rate: 25.0% > 5.0% (10 of 40 compared requests differ from version 1)"},
		{"differences within the gate", fakeDiffs{"1", "2", 0.02, 100}, Gates{MaxDiffRate: rate(0.05)}, StatePromoted, ""},
		{"nothing compared passes", fakeDiffs{"1", "3", 0.9, 10}, Gates{MaxDiffRate: rate(0.05)}, StatePromoted, ""},
		{"error gate fails first", fakeDiffs{"1", "2", 0.5, 40}, Gates{MaxErrorRate: rate(0.01), MaxDiffRate: rate(0.05)},
			StateRolledBack, "gate max-error-rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.m.Close()
			m, err := New(Options{Dir: e.dir, Aliases: e.aliases, Metrics: e.met, Invoker: e.inv, Clock: e.clock, Diffs: tc.diffs})
			if err != nil {
				t.Fatal(err)
			}
			e.m = m
			t.Cleanup(m.Close)
			e.met.set("2", 100, 5, time.Millisecond)
			e.start(canary(tc.gates))
			e.clock.waitForWaiter(t)
			e.clock.Advance(time.Second)
			st := e.waitState("release", tc.wantState)
			if !strings.Contains(st.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", st.Reason, tc.wantReason)
			}
			if tc.wantState == StateRolledBack && !routingOf(e.aliases.get("release")).equal(routingOf(original)) {
				t.Errorf("alias after rollback = %+v, want the original", e.aliases.get("release"))
			}
		})
	}
}

func TestDiffGateNeedsResults(t *testing.T) {
	e := newEnv(t)
	_, err := e.m.Start(t.Context(), canary(Gates{MaxDiffRate: rate(0.05)}))
	if err == nil || !strings.Contains(err.Error(), "maxDiffRate") {
		t.Errorf("Start without diff results: err = %v", err)
	}
	if _, err := e.m.Start(t.Context(), canary(Gates{MaxDiffRate: rate(1.5)})); err == nil || !strings.Contains(err.Error(), "0..1") {
		t.Errorf("Start with a rate of 1.5: err = %v", err)
	}
}
