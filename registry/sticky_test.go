package registry

import (
	"fmt"
	"math"
	"testing"
)

// stickyUsers is the fixed population the monotonicity tests route.
const stickyUsers = 20000

// stickyAssign routes every user through alias a and returns each user's
// version.
func stickyAssign(t *testing.T, a Alias) []string {
	t.Helper()
	c := mustCompile(t, a)
	out := make([]string, stickyUsers)
	for i := range out {
		// r is fixed at the top so a user without a sticky point would land on
		// the last band: the hash must be what decides.
		out[i] = Decide(c, mapKeys{"User": fmt.Sprintf("user-%d", i)}, 0.999).Version
	}
	return out
}

// checkOnlyMoves fails when any user changed version other than from one of
// the versions in from to the version to.
func checkOnlyMoves(t *testing.T, step string, before, after []string, to string, from ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, f := range from {
		allowed[f] = true
	}
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		if after[i] != to || !allowed[before[i]] {
			t.Fatalf("%s: user-%d moved from version %s to %s; only moves from %v to %s are allowed",
				step, i, before[i], after[i], from, to)
		}
	}
}

// checkShares fails when a version's share of users is more than 1.5 points
// from its weight (the hash spreads a fixed population, no randomness).
func checkShares(t *testing.T, step string, got []string, want map[string]float64) {
	t.Helper()
	n := map[string]int{}
	for _, v := range got {
		n[v]++
	}
	for v, w := range want {
		if share := float64(n[v]) / float64(len(got)); math.Abs(share-w) > 0.015 {
			t.Errorf("%s: version %s has %.4f of users, want %.2f +/- 0.015", step, v, share, w)
		}
	}
}

func TestStickyMonotonicOneCandidate(t *testing.T) {
	steps := []float64{0.1, 0.25, 0.5, 1}
	var prev []string
	for _, w := range steps {
		got := stickyAssign(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
			Weights: []VersionWeight{{Version: "2", Weight: w}}})
		step := fmt.Sprintf("weight of 2 at %g", w)
		checkShares(t, step, got, map[string]float64{"2": w, "1": 1 - w})
		if prev != nil {
			checkOnlyMoves(t, step, prev, got, "2", "1")
		}
		prev = got
	}
}

// With two weighted versions, the guarantee holds for either one: changing
// one's weight while the other stays moves users only between the changed
// version and the primary, whichever of the two is listed first.
func TestStickyMonotonicTwoCandidates(t *testing.T) {
	tests := []struct {
		name    string
		weights func(w float64) []VersionWeight
	}{
		{"raised version listed last", func(w float64) []VersionWeight {
			return []VersionWeight{{Version: "2", Weight: 0.2}, {Version: "3", Weight: w}}
		}},
		{"raised version listed first", func(w float64) []VersionWeight {
			return []VersionWeight{{Version: "3", Weight: w}, {Version: "2", Weight: 0.2}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prev []string
			for _, w := range []float64{0.1, 0.25, 0.5, 0.8} {
				got := stickyAssign(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User", Weights: tc.weights(w)})
				step := fmt.Sprintf("weight of 3 at %g", w)
				checkShares(t, step, got, map[string]float64{"3": w, "2": 0.2, "1": 0.8 - w})
				if prev != nil {
					checkOnlyMoves(t, step, prev, got, "3", "1")
				}
				prev = got
			}
		})
	}
}

// With three or more weighted versions the guarantee covers the first and
// the last listed version; the ones in between are documented (layoutBands)
// to shift when an earlier-stacked version changes, so they are not
// asserted here.
func TestStickyMonotonicThreeCandidatesEnds(t *testing.T) {
	tests := []struct {
		name    string
		weights func(w float64) []VersionWeight
	}{
		{"first listed", func(w float64) []VersionWeight {
			return []VersionWeight{{"4", w}, {"2", 0.1}, {"3", 0.1}}
		}},
		{"last listed", func(w float64) []VersionWeight {
			return []VersionWeight{{"2", 0.1}, {"3", 0.1}, {"4", w}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prev []string
			for _, w := range []float64{0.1, 0.25, 0.5, 0.8} {
				got := stickyAssign(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User", Weights: tc.weights(w)})
				step := fmt.Sprintf("weight of 4 at %g", w)
				checkShares(t, step, got, map[string]float64{"4": w, "2": 0.1, "3": 0.1, "1": 0.8 - w})
				if prev != nil {
					checkOnlyMoves(t, step, prev, got, "4", "1")
				}
				prev = got
			}
		})
	}
}

// Lowering a weight (a rollback in steps) is the mirror image: users only
// go back from the candidate to the primary.
func TestStickyMonotonicLowering(t *testing.T) {
	var prev []string
	for _, w := range []float64{1, 0.5, 0.25, 0.1, 0} {
		got := stickyAssign(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
			Weights: []VersionWeight{{Version: "2", Weight: w}}})
		if prev != nil {
			checkOnlyMoves(t, fmt.Sprintf("weight of 2 down to %g", w), prev, got, "1", "2")
		}
		prev = got
	}
}

// The registry's Resolve uses the same point: a user keeps its version over
// alias updates that raise the candidate's weight, whatever the seeded draws.
func TestStickyThroughResolve(t *testing.T) {
	r, src := setup(t, nil)
	publishN(t, r, src, 2)
	const users = 2000
	alias := func(w float64) Alias {
		return Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User", Weights: []VersionWeight{{"2", w}}}
	}
	if err := r.CreateAlias("B", alias(0.1)); err != nil {
		t.Fatal(err)
	}
	onNew := map[int]bool{}
	for _, w := range []float64{0.1, 0.25, 0.5, 1} {
		if err := r.UpdateAlias("B", alias(w)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < users; i++ {
			d, _, err := r.Resolve("B", "release", mapKeys{"User": fmt.Sprintf("u%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if onNew[i] && d.Version != "2" {
				t.Fatalf("weight %g: user u%d went back from version 2 to %s", w, i, d.Version)
			}
			onNew[i] = d.Version == "2"
		}
	}
	for i := 0; i < users; i++ {
		if !onNew[i] {
			t.Fatalf("weight 1: user u%d is not on version 2", i)
		}
	}
}
