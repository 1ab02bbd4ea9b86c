package rollout

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
)

func TestScheduleByName(t *testing.T) {
	cases := []struct {
		name     string
		steps    []float64
		interval time.Duration
	}{
		{"Canary10Percent5Minutes", []float64{0.1, 1}, 5 * time.Minute},
		{"Canary10Percent10Minutes", []float64{0.1, 1}, 10 * time.Minute},
		{"Canary10Percent15Minutes", []float64{0.1, 1}, 15 * time.Minute},
		{"canary10percent30minutes", []float64{0.1, 1}, 30 * time.Minute},
		{"Linear10PercentEvery1Minute", tenths, time.Minute},
		{"Linear10PercentEvery2Minutes", tenths, 2 * time.Minute},
		{"Linear10PercentEvery3Minutes", tenths, 3 * time.Minute},
		{"Linear10PercentEvery10Minutes", tenths, 10 * time.Minute},
		{"AllAtOnce", []float64{1}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ScheduleByName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Steps, tc.steps) || s.Interval != tc.interval || !strings.EqualFold(s.Name, tc.name) {
				t.Errorf("got %+v", s)
			}
			if _, err := checkSteps(s.Steps); err != nil {
				t.Errorf("schedule steps do not pass as plan steps: %v", err)
			}
		})
	}
	if len(Schedules()) != len(cases) {
		t.Errorf("Schedules() has %d, the test %d", len(Schedules()), len(cases))
	}
	_, err := ScheduleByName("Canary5")
	if !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), "Linear10PercentEvery1Minute") {
		t.Errorf("unknown schedule: %v, want ErrInvalidPlan listing the names", err)
	}
}

func TestParseSteps(t *testing.T) {
	cases := []struct {
		in      string
		want    []float64
		wantErr string
	}{
		{in: "10,25,50,100", want: []float64{0.1, 0.25, 0.5, 1}},
		{in: " 5%, 100% ", want: []float64{0.05, 1}},
		{in: "100", want: []float64{1}},
		{in: "", wantErr: "empty"},
		{in: "10,abc,100", wantErr: `"abc" is not a percentage`},
		{in: "10,50", wantErr: "the last step is 0.5; it must be 1"},
		{in: "50,10,100", wantErr: "step 2 (0.1) is not above step 1 (0.5)"},
		{in: "10,10,100", wantErr: "not above"},
		{in: "0,100", wantErr: "0% is outside (0, 100]"},
		{in: "10,150", wantErr: "150% is outside"},
		{in: "10,,100", wantErr: `"" is not a percentage`},
		{in: "NaN,100", wantErr: "not a percentage"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSteps(tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidPlan with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestStartRejectsBadPlans(t *testing.T) {
	good := canary(Gates{})
	cases := []struct {
		name    string
		edit    func(p *Plan)
		wantErr string
		wantIs  error
	}{
		{"no function", func(p *Plan) { p.Function = "" }, "function is missing", nil},
		{"unknown function", func(p *Plan) { p.Function = "X" }, "alias: function not found", registry.ErrFunctionNotFound},
		{"unknown alias", func(p *Plan) { p.Alias = "nope" }, "alias: alias not found", registry.ErrAliasNotFound},
		{"no to", func(p *Plan) { p.To = "" }, "to is missing", nil},
		{"unknown version", func(p *Plan) { p.To = "9" }, "to: version not found", registry.ErrVersionNotFound},
		{"to is the primary", func(p *Plan) { p.To = "1" }, "version 1 is already the primary", nil},
		{"no steps", func(p *Plan) { p.Steps = nil }, "steps: give steps", nil},
		{"steps and schedule", func(p *Plan) { p.Schedule = "AllAtOnce" }, `give steps or schedule "AllAtOnce", not both`, nil},
		{"unknown schedule", func(p *Plan) { p.Steps, p.Schedule = nil, "Fast" }, `schedule "Fast" is unknown`, nil},
		{"schedule with another interval", func(p *Plan) { p.Steps, p.Schedule = nil, "Canary10Percent5Minutes" },
			"schedule Canary10Percent5Minutes has its own interval (5m0s)", nil},
		{"no interval", func(p *Plan) { p.Interval = 0 }, "steps need an interval", nil},
		{"negative interval", func(p *Plan) { p.Interval = Duration(-time.Second) }, "interval -1s", nil},
		{"huge interval", func(p *Plan) { p.Interval = Duration(48 * time.Hour) }, "interval 48h0m0s", nil},
		{"steps not ending at 1", func(p *Plan) { p.Steps = []float64{0.1, 0.5} }, "must be 1", nil},
		{"speed below 1", func(p *Plan) { p.Speed = 0.5 }, "speed 0.5", nil},
		{"error rate above 1", func(p *Plan) { p.Gates.MaxErrorRate = rate(5) }, "gates.maxErrorRate 5", nil},
		{"negative p99", func(p *Plan) { p.Gates.MaxP99 = Duration(-time.Millisecond) }, "gates.maxP99", nil},
		{"negative min requests", func(p *Plan) { p.Gates.MinRequests = -1 }, "gates.minRequests -1", nil},
		{"hook without function", func(p *Plan) { p.PreTraffic = &Hook{} }, "preTraffic: the hook names no function", nil},
		{"hook function unknown", func(p *Plan) { p.PostTraffic = &Hook{Function: "smoke"} }, "postTraffic: function not found", registry.ErrFunctionNotFound},
		{"too many inconclusive", func(p *Plan) { p.MaxInconclusive = 1000 }, "maxInconclusive 1000", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := good
			p.Steps = slices.Clone(good.Steps)
			tc.edit(&p)
			_, err := e.m.Start(t.Context(), p)
			if !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrInvalidPlan with %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want it to wrap %v too", err, tc.wantIs)
			}
			if n := e.aliases.updateCount(); n != 0 || len(e.m.List("")) != 0 {
				t.Errorf("a rejected plan changed something: %d writes, %d rollouts", n, len(e.m.List("")))
			}
		})
	}
}

func TestNamedScheduleAllAtOnce(t *testing.T) {
	e := newEnv(t)
	st := e.start(Plan{Function: "B", Alias: "release", To: "3", Schedule: "AllAtOnce"})
	if st.Schedule != "AllAtOnce" || !slices.Equal(st.Steps, []float64{1}) || st.Speed != 1 || st.MaxInconclusive != 3 {
		t.Errorf("defaults not filled in: %+v", st)
	}
	e.waitState("release", StatePromoted)
	if al := e.aliases.get("release"); al.FunctionVersion != "3" {
		t.Errorf("alias = %+v", al)
	}
}

func TestJudge(t *testing.T) {
	vs := func(req, errs int, p99 time.Duration) metrics.VersionStats {
		s := metrics.VersionStats{Version: "2", Invocations: req, Errors: errs, P99: p99}
		if req > 0 {
			s.ErrorRate = float64(errs) / float64(req)
		}
		return s
	}
	cases := []struct {
		name         string
		g            Gates
		s            metrics.VersionStats
		inconclusive int
		verdict      string
		detail       string
	}{
		{"pass with figures", Gates{MaxErrorRate: rate(0.05)}, vs(200, 2, 12*time.Millisecond), 0, VerdictPass, "200 requests, 1.0% errors, p99 12ms"},
		{"error rate at the limit passes", Gates{MaxErrorRate: rate(0.01)}, vs(100, 1, 0), 0, VerdictPass, "1.0% errors"},
		{"tiny rates keep their digits", Gates{MaxErrorRate: rate(0.0001)}, vs(100000, 20, 0), 0, VerdictFail, "0.02% > 0.01%"},
		{"first inconclusive", Gates{MinRequests: 50}, vs(10, 0, 0), 0, VerdictInconclusive, "10 of 50 requests to version 2 (check 1 of 3)"},
		{"last inconclusive fails", Gates{MinRequests: 50}, vs(10, 0, 0), 2, VerdictFail, "gate min-requests: 10 < 50 requests to version 2 after 3 checks"},
		{"errors below min requests are inconclusive", Gates{MinRequests: 50, MaxErrorRate: rate(0)}, vs(10, 10, 0), 0, VerdictInconclusive, "holding the step"},
		{"p99 at the limit passes", Gates{MaxP99: Duration(300 * time.Millisecond)}, vs(10, 0, 300*time.Millisecond), 0, VerdictPass, "p99 300ms"},
		{"p99 rounded for display", Gates{MaxP99: Duration(time.Millisecond)}, vs(10, 0, 1234567*time.Nanosecond), 0, VerdictFail, "gate max-p99: 1.235ms > 1ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := judge(tc.g, "2", tc.s, tc.inconclusive, 3)
			if c.Verdict != tc.verdict || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", c.Verdict, c.Detail, tc.verdict, tc.detail)
			}
		})
	}
}

// TestStatusJSON pins the field names the dashboard and the CLI read.
func TestStatusJSON(t *testing.T) {
	e := newEnv(t)
	p := canary(Gates{MaxErrorRate: rate(0.01), MaxP99: Duration(300 * time.Millisecond), MinRequests: 50})
	p.Schedule = ""
	st := e.start(p)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "function", "alias", "from", "to", "schedule", "steps", "interval", "speed", "gates", "state", "step", "weight", "startedAt", "updatedAt"} {
		if _, ok := got[k]; !ok {
			t.Errorf("status JSON lacks %q: %s", k, b)
		}
	}
	if got["interval"] != "1m0s" || !strings.HasPrefix(st.ID, "B/release/") {
		t.Errorf("interval %v, id %s", got["interval"], st.ID)
	}
	gates := got["gates"].(map[string]any)
	if gates["maxErrorRate"] != 0.01 || gates["maxP99"] != "300ms" || gates["minRequests"] != 50.0 {
		t.Errorf("gates = %v", gates)
	}
	off, _ := json.Marshal(Gates{})
	if string(off) != "{}" {
		t.Errorf("gates that are off = %s, want {}", off)
	}
	var back Plan
	if err := json.Unmarshal([]byte(`{"function":"B","alias":"release","to":"2","steps":[0.5,1],"interval":"30s","gates":{"maxP99":"250ms"}}`), &back); err != nil ||
		time.Duration(back.Interval) != 30*time.Second || time.Duration(back.Gates.MaxP99) != 250*time.Millisecond {
		t.Errorf("plan JSON: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"interval":"soon"}`), &back); err == nil || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("bad duration: %v", err)
	}
}
