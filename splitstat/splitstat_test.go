package splitstat

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestZ(t *testing.T) {
	for conf, want := range map[float64]float64{0.99: 2.5758293, 0.95: 1.9599640, 0.9: 1.6448536} {
		if got := Z(conf); math.Abs(got-want) > 1e-6 {
			t.Errorf("Z(%g) = %.7f, want %.7f", conf, got, want)
		}
	}
}

func TestWilson(t *testing.T) {
	z := Z(0.99)
	tests := []struct {
		name   string
		p      float64
		n      int
		lo, hi float64 // expected bounds, to 1e-4
	}{
		// Reference values from the closed form, cross-checked by hand.
		{"10% of 1000", 0.1, 1000, 0.0781, 0.1271},
		{"50% of 10000", 0.5, 10000, 0.4871, 0.5129},
		{"none of 100", 0, 100, 0, 0.0622},
		{"all of 100", 1, 100, 0.9378, 1},
		{"no data", 0.3, 0, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Wilson(tc.p, tc.n, z)
			if math.Abs(got.Lo-tc.lo) > 1e-4 || math.Abs(got.Hi-tc.hi) > 1e-4 {
				t.Errorf("Wilson(%g, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tc.p, tc.n, got.Lo, got.Hi, tc.lo, tc.hi)
			}
		})
	}
	// The edges are exact, so 0% and 100% expectations are checked exactly.
	if iv := Wilson(0, 7, z); iv.Lo != 0 {
		t.Errorf("Wilson(0, 7).Lo = %g, want exactly 0", iv.Lo)
	}
	if iv := Wilson(1, 7, z); iv.Hi != 1 {
		t.Errorf("Wilson(1, 7).Hi = %g, want exactly 1", iv.Hi)
	}
}

func TestCompareKnownSplits(t *testing.T) {
	tests := []struct {
		name     string
		expected map[string]float64
		counts   map[string]int
		units    int
		ok       bool
		reason   string // part of a failing row's reason
	}{
		{"exact 10/90", map[string]float64{"1": 0.9, "2": 0.1}, map[string]int{"1": 9000, "2": 1000}, 0, true, ""},
		{"exact 50/50", map[string]float64{"1": 0.5, "2": 0.5}, map[string]int{"1": 5000, "2": 5000}, 0, true, ""},
		{"exact three ways", map[string]float64{"1": 0.7, "2": 0.2, "$LATEST": 0.1}, map[string]int{"1": 700, "2": 200, "$LATEST": 100}, 0, true, ""},
		{"rule 100%", map[string]float64{"4": 1}, map[string]int{"4": 10000}, 0, true, ""},
		{"near 10% within noise", map[string]float64{"1": 0.9, "2": 0.1}, map[string]int{"1": 8950, "2": 1050}, 0, true, ""},
		{"15% for 10%", map[string]float64{"1": 0.9, "2": 0.1}, map[string]int{"1": 8500, "2": 1500}, 0, false, "configured 10.00% is outside"},
		{"swapped 10/90", map[string]float64{"1": 0.9, "2": 0.1}, map[string]int{"1": 1000, "2": 9000}, 0, false, "outside"},
		{"one stray under a rule", map[string]float64{"4": 1}, map[string]int{"4": 9999, "3": 1}, 0, false, "should get no traffic, got 1 answers"},
		{"unexpected version", map[string]float64{"1": 1}, map[string]int{"1": 990, "2": 10}, 0, false, "should get no traffic"},
		{"weight 0 got traffic", map[string]float64{"1": 1, "2": 0}, map[string]int{"1": 999, "2": 1}, 0, false, "should get no traffic"},
		{"no answers", map[string]float64{"1": 1}, map[string]int{}, 0, false, "no answers"},
		// 30% of 20 sticky users is 6 users: 36% of requests is within noise
		// over 20 units, not over 10000 requests.
		{"sticky users are the unit", map[string]float64{"1": 0.7, "2": 0.3}, map[string]int{"1": 6400, "2": 3600}, 20, true, ""},
		{"same counts as independent requests", map[string]float64{"1": 0.7, "2": 0.3}, map[string]int{"1": 6400, "2": 3600}, 0, false, "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Compare(tc.expected, tc.counts, Options{Units: tc.units})
			if r.OK != tc.ok {
				t.Fatalf("OK = %v, want %v; rows %+v", r.OK, tc.ok, r.Rows)
			}
			if tc.ok {
				return
			}
			var reasons []string
			for _, row := range r.Rows {
				if !row.OK {
					reasons = append(reasons, row.Reason)
				}
			}
			if !strings.Contains(strings.Join(reasons, "; "), tc.reason) {
				t.Errorf("reasons %q, want one to contain %q", reasons, tc.reason)
			}
		})
	}
}

func TestCompareRowOrder(t *testing.T) {
	r := Compare(map[string]float64{"$LATEST": 0.5, "10": 0.25, "2": 0.25}, map[string]int{"2": 1, "10": 1, "$LATEST": 2}, Options{})
	var got []string
	for _, row := range r.Rows {
		got = append(got, row.Version)
	}
	if strings.Join(got, ",") != "2,10,$LATEST" {
		t.Errorf("rows in order %v, want 2,10,$LATEST", got)
	}
}

// sample draws n requests from a split given as cumulative shares.
func sample(src *rand.Rand, versions []string, shares []float64, n int) map[string]int {
	counts := map[string]int{}
	for range n {
		r := src.Float64()
		for i, s := range shares {
			if r < s || i == len(shares)-1 {
				counts[versions[i]]++
				break
			}
			r -= s
		}
	}
	return counts
}

// A correct split must be reported off about 1% of the time at 99%: over
// 2000 seeded trials of 1000 requests, between 0.4% and 1.8% of them (the
// binomial spread of 2000 trials at 1% is +/- 0.22 points, plus the Wilson
// interval's own small coverage error). A rule sends everything to one
// version, which is never a false alarm.
func TestFalseAlarmRate(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		shares   []float64
		lo, hi   float64
	}{
		{"10%", []string{"2", "1"}, []float64{0.1, 0.9}, 0.004, 0.018},
		{"50%", []string{"2", "1"}, []float64{0.5, 0.5}, 0.004, 0.018},
		{"rule 100%", []string{"4"}, []float64{1}, 0, 0},
	}
	const trials, n = 2000, 1000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := rand.New(rand.NewPCG(2026, 6))
			expected := map[string]float64{}
			for i, v := range tc.versions {
				expected[v] = tc.shares[i]
			}
			alarms := 0
			for range trials {
				if !Compare(expected, sample(src, tc.versions, tc.shares, n), Options{}).OK {
					alarms++
				}
			}
			rate := float64(alarms) / trials
			t.Logf("%s: %d false alarms in %d trials (%.2f%%)", tc.name, alarms, trials, rate*100)
			if rate < tc.lo || rate > tc.hi {
				t.Errorf("false-alarm rate %.4f, want %.3f..%.3f", rate, tc.lo, tc.hi)
			}
		})
	}
}

// The other side: a split that is clearly off is caught every time.
func TestDetectsOffSplit(t *testing.T) {
	src := rand.New(rand.NewPCG(7, 7))
	expected := map[string]float64{"2": 0.1, "1": 0.9}
	misses := 0
	for range 200 {
		if Compare(expected, sample(src, []string{"2", "1"}, []float64{0.15, 0.85}, 10000), Options{}).OK {
			misses++
		}
	}
	if misses > 0 {
		t.Errorf("a 15%% split passed as 10%% in %d of 200 trials of 10000 requests", misses)
	}
}
