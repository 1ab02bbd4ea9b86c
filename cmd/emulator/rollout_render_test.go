package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/rollout"
)

func TestRolloutRendering(t *testing.T) {
	defer func(was bool) { color.NoColor = was }(color.NoColor)
	color.NoColor = true
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	base := rollout.Status{ID: "B/release/1", Function: "B", Alias: "release", From: "1", To: "2", Steps: []float64{0.1, 0.5, 1},
		State: rollout.StateRunning, Phase: rollout.PhaseTraffic}
	step := base
	step.Step, step.Weight, step.NextStepAt = 1, 0.5, now.Add(4*time.Second)
	step.LastCheck = rollout.Check{Verdict: "pass", Requests: 120, ErrorRate: 0.008, P99: rollout.Duration(12 * time.Millisecond)}
	held := step
	held.State, held.NextStepAt = rollout.StateHeld, time.Time{}
	held.Hold = &rollout.Hold{Reason: "function B is parked (it left emulator.yaml): the rollout goes on where it stood when the function is added back"}
	heldBack := held
	heldBack.Phase = rollout.PhaseRollback
	failed := base
	failed.State, failed.Reason = rollout.StateRolledBack, "gate max-error-rate: 12.5% > 1.0% (15 errors in 120 requests)"
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"starting", rolloutLine(base, now), "B/release v1 -> v2 running starting"},
		{"step with a check and the countdown", rolloutLine(step, now),
			"B/release v1 -> v2 running step 2/3  50% · check pass: 120 req, 0.8% err, p99 12ms · next check in 4s"},
		{"bar", rolloutBar(step, time.Time{}), "[██████████░░░░░░░░░░] B/release v1 -> v2 running step 2/3  50%"},
		{"held", rolloutLine(held, now),
			"B/release v1 -> v2 held step 2/3  50% · function B is parked (it left emulator.yaml): the rollout goes on where it stood"},
		{"held, rollback pending", rolloutLine(heldBack, now), "B/release v1 -> v2 held rollback pending · function B is parked"},
		{"rolled back", rolloutLine(failed, now), "B/release v1 -> v2 rolled-back: gate max-error-rate: 12.5% > 1.0% (15 errors in 120 requests)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.HasPrefix(tc.got, tc.want) {
				t.Errorf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}

	// The console gets one line per visible change, not one per update.
	var out bytes.Buffer
	con := &console{out: &out}
	fn := rolloutChanges(con.Rollout)
	for _, st := range []rollout.Status{base, base, step, step, failed} {
		fn(st)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 3 || !strings.Contains(out.String(), "ROLLOUT B/release v1 -> v2 rolled-back") {
		t.Errorf("console printed %d lines, want 3:\n%s", lines, out.String())
	}
}
