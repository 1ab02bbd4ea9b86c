package registry

import (
	"fmt"
	"math"
	"strings"

	"github.com/scf-emulator/emulator/platform"
)

// Rule methods and the only supported rule key prefix (the platform's).
const (
	MethodExact   = platform.RuleExact
	MethodRange   = platform.RuleRange
	RuleKeyPrefix = platform.RuleKeyPrefix
)

// weightTolerance absorbs float rounding in sums such as 0.7 + 0.2 + 0.1.
const weightTolerance = 1e-9

// CompiledAlias is an alias prepared for Decide: names resolved, ranges
// parsed and weights accumulated, so that a decision allocates nothing.
// It is immutable and safe for concurrent use.
type CompiledAlias struct {
	name    string
	primary string
	rules   []rule
	weights []band
	sticky  string // routing key hashed for sticky picks; "" = random

	shadow       string  // version that gets copies of requests; "" = none
	shadowWeight float64 // share of requests copied, (0,1]
	shadowDiff   bool    // copies' answers are compared with the primary's
}

type rule struct {
	version string
	key     string // the header name, without RuleKeyPrefix
	exact   bool
	value   string         // exact
	rng     platform.Range // range
}

// band is the part [lo,hi) of the unit interval that routes to one weighted
// version. See layoutBands for where each version's band lies.
type band struct {
	version string
	lo, hi  float64
}

// Name returns the alias name.
func (a *CompiledAlias) Name() string { return a.name }

// Compile validates the syntax of an alias (its name, weights, rules and
// ranges) and prepares it for Decide. It does not check that the versions
// exist. Errors wrap ErrInvalidAliasName or ErrInvalidRouting.
func Compile(a Alias) (*CompiledAlias, error) {
	if a.Name != Default {
		if err := platform.CheckAliasName(a.Name); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidAliasName, err)
		}
	}
	c := &CompiledAlias{name: a.Name, primary: a.FunctionVersion}
	if c.primary == "" {
		c.primary = Latest
	}
	sum := 0.0
	seen := make(map[string]bool, len(a.Weights))
	for _, w := range a.Weights {
		switch {
		case w.Version == "":
			return nil, fmt.Errorf("%w: weight %g has no version", ErrInvalidRouting, w.Weight)
		case math.IsNaN(w.Weight) || w.Weight < 0 || w.Weight > 1:
			return nil, fmt.Errorf("%w: weight %g for version %s is outside 0..1", ErrInvalidRouting, w.Weight, w.Version)
		case w.Version == c.primary:
			return nil, fmt.Errorf("%w: version %s is the primary version and cannot also take a weight", ErrInvalidRouting, w.Version)
		case seen[w.Version]:
			return nil, fmt.Errorf("%w: version %s is weighted twice", ErrInvalidRouting, w.Version)
		}
		seen[w.Version] = true
		sum += w.Weight
	}
	if sum > 1+weightTolerance {
		return nil, fmt.Errorf("%w: weights sum to %g, more than 1", ErrInvalidRouting, sum)
	}
	c.weights = layoutBands(a.Weights)
	for _, m := range a.Matches {
		r, err := compileRule(m, c.primary)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, r)
	}
	c.sticky = strings.TrimPrefix(a.StickyHeader, RuleKeyPrefix)
	if a.StickyHeader != "" && !platform.IsHeaderName(c.sticky) {
		return nil, fmt.Errorf("%w: sticky header %q is not a header name", ErrInvalidRouting, a.StickyHeader)
	}
	if a.Shadow != nil {
		if err := checkShadow(*a.Shadow, c.primary); err != nil {
			return nil, err
		}
		c.shadow, c.shadowWeight, c.shadowDiff = a.Shadow.Version, a.Shadow.Weight, a.Shadow.Diff
	}
	return c, nil
}

func checkShadow(s Shadow, primary string) error {
	switch {
	case s.Version == "":
		return fmt.Errorf("%w: shadow weight %g has no version", ErrInvalidRouting, s.Weight)
	case s.Version == primary:
		return fmt.Errorf("%w: shadow version %s is the primary version, which already gets the requests", ErrInvalidRouting, s.Version)
	case math.IsNaN(s.Weight) || s.Weight <= 0 || s.Weight > 1:
		return fmt.Errorf("%w: shadow weight %g for version %s must be more than 0 and at most 1", ErrInvalidRouting, s.Weight, s.Version)
	}
	return nil
}

// layoutBands places each weighted version's band on [0,1), where a
// request's point (random, or the sticky hash) picks the version whose band
// holds it; points in no band go to the primary. The first version's band
// grows up from 0; the others are stacked down from 1, in order, so the last
// one listed borders the primary's gap from above. Changing the weight of
// the first or the last listed version therefore moves only the edge
// between that version and the primary: with sticky routing, raising it
// moves users from the primary to it and never between other versions.
// With one or two weighted versions that holds for every version; a version
// in the middle of three or more shifts when an earlier-stacked one changes.
func layoutBands(ws []VersionWeight) []band {
	if len(ws) == 0 {
		return nil
	}
	out := make([]band, len(ws))
	out[0] = band{version: ws[0].Version, lo: 0, hi: ws[0].Weight}
	top := 1.0
	for i := 1; i < len(ws); i++ {
		out[i] = band{version: ws[i].Version, lo: top - ws[i].Weight, hi: top}
		top -= ws[i].Weight
	}
	return out
}

func compileRule(m VersionMatch, primary string) (rule, error) {
	if m.Version == "" {
		return rule{}, fmt.Errorf("%w: rule %q %s %q has no version", ErrInvalidRouting, m.Key, m.Method, m.Expression)
	}
	if m.Version == primary {
		return rule{}, fmt.Errorf("%w: rule for version %s targets the primary version", ErrInvalidRouting, m.Version)
	}
	key, ok := platform.RuleHeader(m.Key)
	if !ok {
		return rule{}, fmt.Errorf("%w: rule key %q must be %s<name>", ErrInvalidRouting, m.Key, RuleKeyPrefix)
	}
	r := rule{version: m.Version, key: key}
	switch m.Method {
	case MethodExact:
		r.exact, r.value = true, m.Expression
	case MethodRange:
		rng, err := platform.ParseRange(m.Expression)
		if err != nil {
			return rule{}, fmt.Errorf("%w: %v", ErrInvalidRouting, err)
		}
		r.rng = rng
	default:
		return rule{}, fmt.Errorf("%w: rule method %q must be %s or %s", ErrInvalidRouting, m.Method, MethodExact, MethodRange)
	}
	return r, nil
}

// Decide routes one request through alias a: the first matching rule wins,
// then the weighted version whose band (layoutBands) holds r (in [0,1)),
// then the primary version. When the alias is sticky and keys carry its
// header, a hash of the header value replaces r, so one user always gets one
// version and raising a weight only moves users from the primary to that
// version. keys may be nil. Decide does not draw the shadow copy; see
// ShadowFor.
func Decide(a *CompiledAlias, keys Keys, r float64) Decision {
	if d, ok := a.ruleHit(keys); ok {
		return d
	}
	if len(a.weights) == 0 {
		return Decision{Version: a.primary, Route: RoutePrimary, Alias: a.name}
	}
	if s, ok := a.stickyPoint(keys); ok {
		r = s
	}
	return a.pick(r)
}

func (a *CompiledAlias) ruleHit(keys Keys) (Decision, bool) {
	if keys == nil {
		return Decision{}, false
	}
	for i := range a.rules {
		ru := &a.rules[i]
		v, ok := keys.Get(ru.key)
		if !ok {
			continue
		}
		if ru.match(v) {
			return Decision{Version: ru.version, Route: RouteRule, Alias: a.name}, true
		}
	}
	return Decision{}, false
}

func (ru *rule) match(v string) bool {
	if ru.exact {
		return v == ru.value
	}
	n, ok := parseInt(v)
	if !ok {
		return false
	}
	return ru.rng.Contains(n)
}

// stickyPoint maps the sticky header's value to [0,1): FNV-1a 64, then the
// murmur3 64-bit finaliser. FNV alone spreads its high bits poorly for short,
// similar values (user-1 ... user-9999 put 43% of users under a 50% weight).
func (a *CompiledAlias) stickyPoint(keys Keys) (float64, bool) {
	if a.sticky == "" || keys == nil {
		return 0, false
	}
	v, ok := keys.Get(a.sticky)
	if !ok {
		return 0, false
	}
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(v); i++ {
		h ^= uint64(v[i])
		h *= prime64
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return float64(h>>11) / (1 << 53), true
}

func (a *CompiledAlias) pick(r float64) Decision {
	for _, b := range a.weights {
		if r >= b.lo && r < b.hi {
			return Decision{Version: b.version, Route: RouteWeight, Alias: a.name}
		}
	}
	return Decision{Version: a.primary, Route: RoutePrimary, Alias: a.name}
}

// ShadowFor returns the version a copy of a request routed to chosen should
// also go to: the alias's shadow version when r (in [0,1), drawn apart from
// the routing draw) falls under the shadow weight, "" otherwise and when the
// request already runs on the shadow version.
func (a *CompiledAlias) ShadowFor(chosen string, r float64) string {
	if a.shadow == "" || chosen == a.shadow || r >= a.shadowWeight {
		return ""
	}
	return a.shadow
}

// hasShadow reports whether a copies any requests, so Resolve draws only
// for aliases that do.
func (a *CompiledAlias) hasShadow() bool { return a.shadow != "" }

// parseInt parses a decimal integer surrounded by optional spaces. Unlike
// strconv it does not allocate when the input is not a number, which keeps
// routing allocation-free for any header value.
func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (limit-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		return int64(-n), true
	}
	return int64(n), true
}
