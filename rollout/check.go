package rollout

import (
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/metrics"
)

// evaluate checks the gates against the new version's metrics since the
// step began.
func (m *Manager) evaluate(rec *record) Check {
	now := m.clock.Now()
	window := now.Sub(rec.StepStart)
	if rec.StepStart.IsZero() || window <= 0 {
		window = rec.wait()
	}
	var vs metrics.VersionStats
	for _, s := range m.opts.Metrics.Stats(rec.Function, window) {
		if s.Version == rec.To {
			vs = s
		}
	}
	c := judge(rec.Gates, rec.To, vs, rec.Inconclusive, rec.MaxInconclusive)
	m.judgeDiff(rec, &c)
	c.Time, c.Window = now, Duration(window)
	return c
}

// judge applies the gates to one version's figures. inconclusive is how
// many checks of this step were inconclusive before this one; the check that
// would make it max fails the min-requests gate instead.
func judge(g Gates, version string, vs metrics.VersionStats, inconclusive, max int) Check {
	c := Check{Requests: vs.Invocations, Errors: vs.Errors, ErrorRate: vs.ErrorRate, P99: Duration(vs.P99.Round(time.Microsecond))}
	switch {
	case g.MinRequests > 0 && vs.Invocations < g.MinRequests:
		if n := inconclusive + 1; n >= max {
			c.Verdict = VerdictFail
			c.Detail = fmt.Sprintf("gate min-requests: %d < %d requests to version %s after %d checks", vs.Invocations, g.MinRequests, version, n)
		} else {
			c.Verdict = VerdictInconclusive
			c.Detail = fmt.Sprintf("%d of %d requests to version %s (check %d of %d); holding the step", vs.Invocations, g.MinRequests, version, n, max)
		}
	case g.MaxErrorRate != nil && vs.ErrorRate > *g.MaxErrorRate:
		c.Verdict = VerdictFail
		c.Detail = fmt.Sprintf("gate max-error-rate: %s > %s (%d errors in %d requests)", percent(vs.ErrorRate), percent(*g.MaxErrorRate), vs.Errors, vs.Invocations)
	case g.MaxP99 > 0 && vs.P99 > time.Duration(g.MaxP99):
		c.Verdict = VerdictFail
		c.Detail = fmt.Sprintf("gate max-p99: %s > %s (p99 of %d requests)", time.Duration(c.P99), time.Duration(g.MaxP99), vs.Invocations)
	case vs.Invocations == 0:
		c.Verdict = VerdictPass
		c.Detail = fmt.Sprintf("no requests reached version %s; without a min-requests gate the step passes", version)
	default:
		c.Verdict = VerdictPass
		c.Detail = fmt.Sprintf("%d requests, %s errors, p99 %s", vs.Invocations, percent(vs.ErrorRate), time.Duration(c.P99))
	}
	return c
}

// percent renders a fraction with one decimal, or two significant digits
// when that would show a non-zero rate as 0.0%.
func percent(f float64) string {
	if p := f * 100; p > 0 && p < 0.05 {
		return fmt.Sprintf("%.2g%%", p)
	}
	return fmt.Sprintf("%.1f%%", f*100)
}
