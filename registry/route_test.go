package registry

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, a Alias) *CompiledAlias {
	t.Helper()
	c, err := Compile(a)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", a, err)
	}
	return c
}

func TestDecide(t *testing.T) {
	bob := Alias{Name: "prepub", FunctionVersion: "3", Matches: []VersionMatch{
		{Version: "4", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"},
	}}
	hash := Alias{Name: "release", FunctionVersion: "2", Matches: []VersionMatch{
		{Version: "3", Key: "invoke.headers.userHash", Method: "range", Expression: "[1,50]"},
	}}
	halfOpen := Alias{Name: "h", FunctionVersion: "1", Matches: []VersionMatch{
		{Version: "2", Key: "invoke.headers.n", Method: "range", Expression: "[10, 20)"},
		{Version: "3", Key: "invoke.headers.m", Method: "range", Expression: " ( -5 ,5 ] "},
	}}
	ruleAndWeight := Alias{Name: "rw", FunctionVersion: "1",
		Weights: []VersionWeight{{Version: "2", Weight: 1}},
		Matches: []VersionMatch{{Version: "3", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}},
	}
	// Bands (layoutBands): 2 on [0,0.2), 3 on [0.7,1), the primary between.
	cumulative := Alias{Name: "cum", FunctionVersion: "1", Weights: []VersionWeight{
		{Version: "2", Weight: 0.2}, {Version: "3", Weight: 0.3},
	}}
	latest := Alias{Name: "dev"} // primary "" means $LATEST

	tests := []struct {
		name  string
		alias Alias
		keys  Keys
		r     float64
		want  string
		route Route
	}{
		{"exact hit", bob, mapKeys{"User": "Bob"}, 0.5, "4", RouteRule},
		{"exact other value", bob, mapKeys{"User": "Alice"}, 0.5, "3", RoutePrimary},
		{"exact no key", bob, mapKeys{}, 0.5, "3", RoutePrimary},
		{"exact nil keys", bob, nil, 0.5, "3", RoutePrimary},
		{"exact is case-sensitive", bob, mapKeys{"User": "bob"}, 0.5, "3", RoutePrimary},
		{"range inside", hash, mapKeys{"userHash": "30"}, 0.5, "3", RouteRule},
		{"range above", hash, mapKeys{"userHash": "80"}, 0.5, "2", RoutePrimary},
		{"range absent", hash, mapKeys{}, 0.5, "2", RoutePrimary},
		{"range not a number", hash, mapKeys{"userHash": "abc"}, 0.5, "2", RoutePrimary},
		{"range closed low bound", hash, mapKeys{"userHash": "1"}, 0.5, "3", RouteRule},
		{"range closed high bound", hash, mapKeys{"userHash": "50"}, 0.5, "3", RouteRule},
		{"range below", hash, mapKeys{"userHash": "0"}, 0.5, "2", RoutePrimary},
		{"range spaces around value", hash, mapKeys{"userHash": " 30 "}, 0.5, "3", RouteRule},
		{"range decimal is no integer", hash, mapKeys{"userHash": "30.5"}, 0.5, "2", RoutePrimary},
		{"range overflow", hash, mapKeys{"userHash": "99999999999999999999"}, 0.5, "2", RoutePrimary},
		{"half-open low included", halfOpen, mapKeys{"n": "10"}, 0.5, "2", RouteRule},
		{"half-open high excluded", halfOpen, mapKeys{"n": "20"}, 0.5, "1", RoutePrimary},
		{"half-open high minus one", halfOpen, mapKeys{"n": "19"}, 0.5, "2", RouteRule},
		{"open low excluded", halfOpen, mapKeys{"m": "-5"}, 0.5, "1", RoutePrimary},
		{"open low plus one, negative", halfOpen, mapKeys{"m": "-4"}, 0.5, "3", RouteRule},
		{"closed high included", halfOpen, mapKeys{"m": "5"}, 0.5, "3", RouteRule},
		{"rules in order", halfOpen, mapKeys{"n": "12", "m": "0"}, 0.5, "2", RouteRule},
		{"second rule after first misses", halfOpen, mapKeys{"n": "99", "m": "0"}, 0.5, "3", RouteRule},
		{"rule before weights", ruleAndWeight, mapKeys{"User": "Bob"}, 0.1, "3", RouteRule},
		{"weights after rule miss", ruleAndWeight, mapKeys{"User": "Al"}, 0.1, "2", RouteWeight},
		{"first band from 0", cumulative, nil, 0, "2", RouteWeight},
		{"first band edge", cumulative, nil, 0.1999, "2", RouteWeight},
		{"primary gap start", cumulative, nil, 0.2, "1", RoutePrimary},
		{"primary gap end", cumulative, nil, 0.6999, "1", RoutePrimary},
		{"second band from the top", cumulative, nil, 0.7, "3", RouteWeight},
		{"second band top", cumulative, nil, 0.9999, "3", RouteWeight},
		{"empty primary is latest", latest, nil, 0.3, Latest, RoutePrimary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(mustCompile(t, tc.alias), tc.keys, tc.r)
			want := Decision{Version: tc.want, Route: tc.route, Alias: tc.alias.Name}
			if got != want {
				t.Errorf("Decide = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDecideSticky(t *testing.T) {
	a := mustCompile(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
		Weights: []VersionWeight{{Version: "2", Weight: 0.5}}})
	for i := 0; i < 200; i++ {
		user := mapKeys{"User": fmt.Sprintf("user-%d", i)}
		first := Decide(a, user, 0)
		for _, r := range []float64{0.25, 0.5, 0.75, 0.999} {
			if got := Decide(a, user, r); got != first {
				t.Fatalf("user-%d: Decide with r=%v = %+v, with r=0 = %+v; sticky must ignore r", i, r, got, first)
			}
		}
	}
	// Without the header the draw decides.
	if got := Decide(a, mapKeys{}, 0.1).Version; got != "2" {
		t.Errorf("no sticky header, r=0.1: version %s, want 2", got)
	}
	if got := Decide(a, mapKeys{}, 0.9).Version; got != "1" {
		t.Errorf("no sticky header, r=0.9: version %s, want 1", got)
	}
}

func TestDecideStickyMonotonic(t *testing.T) {
	at := func(w float64) *CompiledAlias {
		return mustCompile(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "invoke.headers.User",
			Weights: []VersionWeight{{Version: "2", Weight: w}}})
	}
	low, high := at(0.1), at(0.5)
	const users = 10000
	onLow, onHigh := 0, 0
	for i := 0; i < users; i++ {
		k := mapKeys{"User": fmt.Sprintf("user-%d", i)}
		l, h := Decide(low, k, 0.99).Version, Decide(high, k, 0.99).Version
		if l == "2" {
			onLow++
			if h != "2" {
				t.Fatalf("user-%d moved from version 2 back to the primary when the weight rose", i)
			}
		}
		if h == "2" {
			onHigh++
		}
	}
	// The hash must also spread users: 10% +/- 1.5 points and 50% +/- 1.5.
	if got := float64(onLow) / users; math.Abs(got-0.1) > 0.015 {
		t.Errorf("weight 0.1: %.3f of users on version 2", got)
	}
	if got := float64(onHigh) / users; math.Abs(got-0.5) > 0.015 {
		t.Errorf("weight 0.5: %.3f of users on version 2", got)
	}
}

func TestDecideTenPercent(t *testing.T) {
	a := mustCompile(t, Alias{Name: "release", FunctionVersion: "1", Weights: []VersionWeight{{Version: "2", Weight: 0.1}}})
	src := rand.New(rand.NewPCG(42, 7))
	const picks = 10000
	n := 0
	for i := 0; i < picks; i++ {
		if Decide(a, nil, src.Float64()).Version == "2" {
			n++
		}
	}
	if got := float64(n) / picks; math.Abs(got-0.1) > 0.015 {
		t.Errorf("10%% weight gave %.4f of %d picks, want 0.1 +/- 0.015", got, picks)
	}
}

func TestDecideAllocs(t *testing.T) {
	a := mustCompile(t, Alias{Name: "release", FunctionVersion: "1", StickyHeader: "User",
		Weights: []VersionWeight{{Version: "2", Weight: 0.3}},
		Matches: []VersionMatch{{Version: "3", Key: "invoke.headers.userHash", Method: "range", Expression: "[1,50]"}}})
	keys := mapKeys{"userHash": "not-a-number", "User": "alice"}
	if n := testing.AllocsPerRun(100, func() { Decide(a, keys, 0.5) }); n != 0 {
		t.Errorf("Decide allocates %v times per call, want 0", n)
	}
}

func TestCompileErrors(t *testing.T) {
	w := func(v string, x float64) []VersionWeight { return []VersionWeight{{Version: v, Weight: x}} }
	m := func(v, key, method, expr string) []VersionMatch {
		return []VersionMatch{{Version: v, Key: key, Method: method, Expression: expr}}
	}
	tests := []struct {
		name  string
		alias Alias
		want  error
	}{
		{"name starts with digit", Alias{Name: "1a"}, ErrInvalidAliasName},
		{"name empty", Alias{Name: ""}, ErrInvalidAliasName},
		{"name with dot", Alias{Name: "a.b"}, ErrInvalidAliasName},
		{"name too long", Alias{Name: strings.Repeat("a", 65)}, ErrInvalidAliasName},
		{"dollar name", Alias{Name: "$LATEST"}, ErrInvalidAliasName},
		{"weight above 1", Alias{Name: "a", FunctionVersion: "1", Weights: w("2", 1.5)}, ErrInvalidRouting},
		{"weight negative", Alias{Name: "a", FunctionVersion: "1", Weights: w("2", -0.1)}, ErrInvalidRouting},
		{"weight NaN", Alias{Name: "a", FunctionVersion: "1", Weights: w("2", math.NaN())}, ErrInvalidRouting},
		{"weight without version", Alias{Name: "a", FunctionVersion: "1", Weights: w("", 0.1)}, ErrInvalidRouting},
		{"weight on primary", Alias{Name: "a", FunctionVersion: "1", Weights: w("1", 0.1)}, ErrInvalidRouting},
		{"weight on implicit latest primary", Alias{Name: "a", Weights: w(Latest, 0.1)}, ErrInvalidRouting},
		{"weights sum above 1", Alias{Name: "a", FunctionVersion: "1", Weights: []VersionWeight{{"2", 0.6}, {"3", 0.6}}}, ErrInvalidRouting},
		{"weights duplicate", Alias{Name: "a", FunctionVersion: "1", Weights: []VersionWeight{{"2", 0.1}, {"2", 0.1}}}, ErrInvalidRouting},
		{"rule key prefix", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "headers.User", "exact", "Bob")}, ErrInvalidRouting},
		{"rule key empty name", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.", "exact", "Bob")}, ErrInvalidRouting},
		{"rule method", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "regex", "B.*")}, ErrInvalidRouting},
		{"rule on primary", Alias{Name: "a", FunctionVersion: "1", Matches: m("1", "invoke.headers.U", "exact", "B")}, ErrInvalidRouting},
		{"rule without version", Alias{Name: "a", FunctionVersion: "1", Matches: m("", "invoke.headers.U", "exact", "B")}, ErrInvalidRouting},
		{"range unclosed", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[1,50")}, ErrInvalidRouting},
		{"range letters", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[a,b]")}, ErrInvalidRouting},
		{"range decimals", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[1.5,2]")}, ErrInvalidRouting},
		{"range reversed", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[50,1]")}, ErrInvalidRouting},
		// (7,7) and (1,2) hold no integer: the rule could never match, and
		// emulator.yaml always refused them.
		{"range without integers", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "(7,7)")}, ErrInvalidRouting},
		{"range of neighbours", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "(1,2)")}, ErrInvalidRouting},
		{"range overflow", Alias{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[1,99999999999999999999]")}, ErrInvalidRouting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.alias)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Compile error = %v, want %v", err, tc.want)
			}
		})
	}
	ok := []Alias{
		{Name: Default},
		{Name: "a_-9"},
		{Name: strings.Repeat("a", 64)},
		{Name: "a", FunctionVersion: "1", Weights: []VersionWeight{{"2", 0.7}, {"3", 0.2}, {"4", 0.1}}},
		{Name: "a", FunctionVersion: "1", Weights: w(Latest, 1)},
		{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", "[7,7]")},
		{Name: "a", FunctionVersion: "1", Matches: m("2", "invoke.headers.U", "range", " ( -1 , +1 ) ")},
	}
	for _, a := range ok {
		if _, err := Compile(a); err != nil {
			t.Errorf("Compile(%+v) = %v, want ok", a, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {" -7 ", -7, true}, {"+3", 3, true},
		{"9223372036854775807", math.MaxInt64, true}, {"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, {"", 0, false}, {"-", 0, false}, {"1e3", 0, false}, {"0x10", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseInt(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
