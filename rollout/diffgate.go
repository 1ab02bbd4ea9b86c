package rollout

import "fmt"

// Diffs reports how the new version's answers compare with the old one's
// on the same requests (shadow copies in diff mode, package diff).
type Diffs interface {
	// DiffRate is the share of the requests compared between versions from
	// and to of function's alias whose answers differ beyond noise, and how
	// many were compared.
	DiffRate(function, alias, from, to string) (rate float64, compared int)
}

// judgeDiff applies the max-diff-rate gate to a check the other gates
// passed or held. Versions never change once published, so every request
// compared between the two counts, from before the rollout too: the
// evidence a user gathered in diff mode before starting is what the gate
// judges first.
func (m *Manager) judgeDiff(rec *record, c *Check) {
	g := rec.Gates.MaxDiffRate
	if g == nil || m.opts.Diffs == nil || c.Verdict == VerdictFail {
		return
	}
	rate, n := m.opts.Diffs.DiffRate(rec.Function, rec.Alias, rec.From, rec.To)
	c.Compared, c.DiffRate = n, rate
	if n > 0 && rate > *g {
		c.Verdict = VerdictFail
		c.Detail = fmt.Sprintf("gate max-diff-rate: %s > %s (%d of %d compared requests differ from version %s)",
			percent(rate), percent(*g), int(rate*float64(n)+0.5), n, rec.From)
	}
}
