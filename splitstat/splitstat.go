package splitstat

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// DefaultConfidence is the two-sided confidence Compare uses when
// Options.Confidence is 0.
const DefaultConfidence = 0.99

// Interval is a two-sided confidence interval for a proportion, within [0,1].
type Interval struct {
	Lo, Hi float64
}

// Contains reports whether p lies in the interval, bounds included.
func (i Interval) Contains(p float64) bool { return p >= i.Lo && p <= i.Hi }

// Z is the standard normal quantile for a two-sided confidence level, e.g.
// 2.5758 for 0.99.
func Z(confidence float64) float64 { return math.Sqrt2 * math.Erfinv(confidence) }

// Wilson is the Wilson score interval of the proportion p observed over n
// independent trials, at normal quantile z. The bounds are exactly 0 when
// p is 0 and exactly 1 when p is 1, so an all-or-nothing expectation is
// checked exactly. n <= 0 gives [0,1]: nothing was learned.
func Wilson(p float64, n int, z float64) Interval {
	if n <= 0 || math.IsNaN(p) {
		return Interval{0, 1}
	}
	p = min(max(p, 0), 1)
	nf := float64(n)
	z2 := z * z
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Lo: max(center-half, 0), Hi: min(center+half, 1)}
	if p == 0 {
		iv.Lo = 0
	}
	if p == 1 {
		iv.Hi = 1
	}
	return iv
}

// Options tunes Compare. The zero value means 99% and independent requests.
type Options struct {
	// Confidence of each version's interval, in (0,1); 0 means 0.99.
	Confidence float64
	// Units is the number of independent draws behind the counts, when it
	// is fewer than the requests: with sticky routing every request of one
	// user lands on the same version, so the user, not the request, is the
	// independent unit. 0 means the total of the counts.
	Units int
}

// Row is one version's verdict.
type Row struct {
	Version  string
	Expected float64 // configured share, 0..1
	Count    int     // answers from this version
	Observed float64 // Count / total
	CI       Interval
	OK       bool
	Reason   string // why the row is off; "" when OK
}

// Report is the verdict on a whole split.
type Report struct {
	Rows  []Row // by version: numbers ascending, then names, $LATEST last
	Total int   // answers counted
	Units int   // independent draws the intervals assume
	OK    bool  // every row is OK and there was at least one answer
}

// Compare checks counts (answers per version) against expected (configured
// share per version; versions absent from it are expected to get none).
// Expected shares should sum to 1. A report with no answers is not OK.
func Compare(expected map[string]float64, counts map[string]int, opts Options) Report {
	conf := opts.Confidence
	if conf <= 0 || conf >= 1 {
		conf = DefaultConfidence
	}
	z := Z(conf)
	total := 0
	for _, c := range counts {
		total += c
	}
	units := opts.Units
	if units <= 0 || units > total {
		units = total
	}
	versions := map[string]bool{}
	for v := range expected {
		versions[v] = true
	}
	for v, c := range counts {
		if c > 0 {
			versions[v] = true
		}
	}
	r := Report{Total: total, Units: units, OK: total > 0}
	for _, v := range sortVersions(versions) {
		row := Row{Version: v, Expected: expected[v], Count: counts[v]}
		if total > 0 {
			row.Observed = float64(row.Count) / float64(total)
		}
		row.CI = Wilson(row.Observed, units, z)
		row.OK = total > 0 && row.CI.Contains(row.Expected)
		switch {
		case row.OK:
		case total == 0:
			row.Reason = "no answers"
		case row.Expected == 0:
			row.Reason = fmt.Sprintf("should get no traffic, got %d answers", row.Count)
		case row.Expected == 1:
			row.Reason = fmt.Sprintf("should get all traffic, got %d of %d answers", row.Count, total)
		default:
			row.Reason = fmt.Sprintf("configured %s is outside the %g%% interval %s-%s of the observed %s",
				Percent(row.Expected), conf*100, Percent(row.CI.Lo), Percent(row.CI.Hi), Percent(row.Observed))
		}
		r.OK = r.OK && row.OK
		r.Rows = append(r.Rows, row)
	}
	return r
}

// Percent formats a share as a percentage with two decimals, e.g. 10.00%.
func Percent(p float64) string { return strconv.FormatFloat(p*100, 'f', 2, 64) + "%" }

// sortVersions orders numbers ascending, then other names, $LATEST last.
func sortVersions(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	rank := func(v string) (int, int) {
		if v == "$LATEST" {
			return 2, 0
		}
		if n, err := strconv.Atoi(v); err == nil {
			return 0, n
		}
		return 1, 0
	}
	slices.SortFunc(out, func(a, b string) int {
		ra, na := rank(a)
		rb, nb := rank(b)
		switch {
		case ra != rb:
			return ra - rb
		case na != nb:
			return na - nb
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return out
}
