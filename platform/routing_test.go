package platform

import (
	"math"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name, in string
		want     Range
		problem  string
	}{
		{"closed", "[1,50]", Range{Lo: 1, Hi: 50, LoIn: true, HiIn: true}, ""},
		{"open", "(0,100)", Range{Lo: 0, Hi: 100}, ""},
		{"closed open", "[0,100)", Range{Lo: 0, Hi: 100, LoIn: true}, ""},
		{"open closed", "(0,100]", Range{Lo: 0, Hi: 100, HiIn: true}, ""},
		{"spaces", "  [ 1 , 50 ]  ", Range{Lo: 1, Hi: 50, LoIn: true, HiIn: true}, ""},
		{"signs", "[-5,+5]", Range{Lo: -5, Hi: 5, LoIn: true, HiIn: true}, ""},
		{"negative", "[-10, -1]", Range{Lo: -10, Hi: -1, LoIn: true, HiIn: true}, ""},
		{"one point", "[7,7]", Range{Lo: 7, Hi: 7, LoIn: true, HiIn: true}, ""},
		{"open around one", "(6,8)", Range{Lo: 6, Hi: 8}, ""},
		{"int64 bounds", "[-9223372036854775808,9223372036854775807]", Range{Lo: math.MinInt64, Hi: math.MaxInt64, LoIn: true, HiIn: true}, ""},
		{"empty", "", Range{}, "is not of the form"},
		{"no brackets", "1,50", Range{}, "is not of the form"},
		{"no comma", "[1 50]", Range{}, "is not of the form"},
		{"three bounds", "[1,2,3]", Range{}, `upper bound "2,3": not an integer`},
		{"braces", "{1,50}", Range{}, "is not of the form"},
		{"letters", "[a,b]", Range{}, `lower bound "a": not an integer`},
		{"float", "[1.5,50]", Range{}, `lower bound "1.5": not an integer`},
		{"hex", "[0x10,50]", Range{}, "not an integer"},
		{"underscore", "[1_0,50]", Range{}, "not an integer"},
		{"double sign", "[--1,5]", Range{}, "not an integer"},
		{"missing bound", "[,5]", Range{}, "not an integer"},
		{"overflow", "[0,9223372036854775808]", Range{}, "outside 64-bit integers"},
		{"reversed", "[5,1]", Range{}, "contains no integer"},
		{"open pair of neighbours", "(1,2)", Range{}, "contains no integer"},
		{"open point", "(1,1)", Range{}, "contains no integer"},
		{"half-open point", "[1,1)", Range{}, "contains no integer"},
		{"open at max", "(9223372036854775807,9223372036854775807]", Range{}, "contains no integer"},
		{"open at min", "[-9223372036854775808,-9223372036854775808)", Range{}, "contains no integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRange(tt.in)
			checkProblem(t, err, tt.problem)
			if err == nil && got != tt.want {
				t.Errorf("ParseRange(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), `"`+tt.in+`"`) {
				t.Errorf("error %q does not quote the expression", err)
			}
		})
	}
}

func TestRangeContains(t *testing.T) {
	tests := []struct {
		expr string
		in   []int64
		out  []int64
	}{
		{"[1,50]", []int64{1, 30, 50}, []int64{0, 51, -1}},
		{"(1,50)", []int64{2, 49}, []int64{1, 50}},
		{"[1,50)", []int64{1, 49}, []int64{0, 50}},
		{"(1,50]", []int64{2, 50}, []int64{1, 51}},
		{"[-9223372036854775808,9223372036854775807]", []int64{math.MinInt64, 0, math.MaxInt64}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			r, err := ParseRange(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.in {
				if !r.Contains(n) {
					t.Errorf("%s does not contain %d", tt.expr, n)
				}
			}
			for _, n := range tt.out {
				if r.Contains(n) {
					t.Errorf("%s contains %d", tt.expr, n)
				}
			}
		})
	}
}

func TestRuleHeader(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"invoke.headers.User", "User", true},
		{"invoke.headers.x-user-id", "x-user-id", true},
		{"invoke.headers.", "", false},
		{"invoke.header.User", "", false},
		{"User", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := RuleHeader(tt.key)
			if ok != tt.ok || ok && got != tt.want {
				t.Errorf("RuleHeader(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestIsHeaderName(t *testing.T) {
	for _, ok := range []string{"User", "x-user-id", "X_Trace.Id", "a!#$%&'*+-.^_`|~z", "1"} {
		if !IsHeaderName(ok) {
			t.Errorf("IsHeaderName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "a b", "a:b", "a/b", "a\"b", "(a)", "é", "a\tb"} {
		if IsHeaderName(bad) {
			t.Errorf("IsHeaderName(%q) = true", bad)
		}
	}
}

func TestMethods(t *testing.T) {
	for _, m := range []string{"ANY", "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"} {
		if !IsMethod(m) {
			t.Errorf("IsMethod(%q) = false", m)
		}
	}
	for _, m := range []string{"", "get", "Any", "TRACE", "CONNECT", "PROPFIND"} {
		if IsMethod(m) {
			t.Errorf("IsMethod(%q) = true", m)
		}
	}
	ms := Methods()
	ms[0] = "TRACE"
	if !IsMethod("ANY") || IsMethod("TRACE") {
		t.Error("changing the slice Methods returned changed the methods")
	}
	if got, want := MethodList(), "ANY, GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS"; got != want {
		t.Errorf("MethodList() = %q, want %q", got, want)
	}
}
