package platform

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Alias routing rules (AddtionVersionMatchs, scf-behaviour.md 2.3): the
// only key form is invoke.headers.<name>, the methods exact and range.
const (
	RuleExact     = "exact"
	RuleRange     = "range"
	RuleKeyPrefix = "invoke.headers."
)

// RuleHeader returns the <name> of a rule key invoke.headers.<name>, and
// false when key does not have that form. The name is the key of the
// RoutingKey JSON (any string, scf-behaviour.md 2.3) or a request header.
func RuleHeader(key string) (string, bool) {
	h, ok := strings.CutPrefix(key, RuleKeyPrefix)
	return h, ok && h != ""
}

// IsHeaderName reports whether s is an HTTP header name (an RFC 9110 token):
// what a routing key or a sticky routing header may be called.
func IsHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(rune(c)) && !isDigit(rune(c)) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// Range is an integer interval of a range rule. It is a value, so routing
// with it allocates nothing.
type Range struct {
	Lo, Hi     int64
	LoIn, HiIn bool // the bound belongs to the interval ('[' or ']')
}

// Contains reports whether n lies in the interval.
func (r Range) Contains(n int64) bool {
	return (n > r.Lo || r.LoIn && n == r.Lo) && (n < r.Hi || r.HiIn && n == r.Hi)
}

// ParseRange reads a range rule's Expression: (a,b) or [a,b]
// (scf-behaviour.md 2.3), and the half-open [a,b) and (a,b] the emulator
// accepts as well (scf-behaviour.md 10.5, decided in DESIGN.md "Routing semantics").
// a and b are 64-bit decimal integers with an optional sign; spaces around
// the brackets, bounds and comma are allowed. An interval that holds no
// integer, such as (1,2) or [5,1], is an error: its rule could never match.
func ParseRange(expr string) (Range, error) {
	bad := func(why string) (Range, error) {
		return Range{}, fmt.Errorf("range %q %s", expr, why)
	}
	s := strings.TrimSpace(expr)
	if len(s) < 2 || (s[0] != '(' && s[0] != '[') || (s[len(s)-1] != ')' && s[len(s)-1] != ']') {
		return bad("is not of the form [a,b], (a,b), [a,b) or (a,b] with integers a and b")
	}
	lo, hi, ok := strings.Cut(s[1:len(s)-1], ",")
	if !ok {
		return bad("is not of the form [a,b], (a,b), [a,b) or (a,b] with integers a and b")
	}
	r := Range{LoIn: s[0] == '[', HiIn: s[len(s)-1] == ']'}
	var err error
	if r.Lo, err = parseBound(lo); err != nil {
		return bad(fmt.Sprintf("has lower bound %q: %v", strings.TrimSpace(lo), err))
	}
	if r.Hi, err = parseBound(hi); err != nil {
		return bad(fmt.Sprintf("has upper bound %q: %v", strings.TrimSpace(hi), err))
	}
	first, last := r.Lo, r.Hi
	if !r.LoIn {
		if first == math.MaxInt64 {
			return bad("contains no integer")
		}
		first++
	}
	if !r.HiIn {
		if last == math.MinInt64 {
			return bad("contains no integer")
		}
		last--
	}
	if first > last {
		return bad("contains no integer")
	}
	return r, nil
}

// parseBound parses one bound; strconv alone would also take "0x10" and "1_0".
func parseBound(s string) (int64, error) {
	s = strings.TrimSpace(s)
	digits := strings.TrimLeft(s, "+-")
	if digits == "" || len(s)-len(digits) > 1 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("not an integer")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("outside 64-bit integers")
	}
	return n, nil
}
