package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scf-emulator/emulator/platform"
)

var aliasKeys = []string{"version", "weights", "rules", "sticky", "shadow", "description"}

var shadowKeys = []string{"version", "weight", "diff"}

var ruleKeys = []string{"version", "key", "method", "expression"}

const (
	maxAliasDescLen   = 1000
	weightSumEpsilon  = 1e-9
	ruleStringExample = "VERSION:invoke.headers.KEY exact|range EXPRESSION"
)

// ruleStringRE is the CLI's rule form "4:invoke.headers.User exact Bob".
var ruleStringRE = regexp.MustCompile(`^\s*([^:\s]+)\s*:\s*(\S+)\s+(\S+)\s+(.*\S)\s*$`)

func (d *decoder) aliases(p pair) []Alias {
	if isNull(p.val) {
		return nil
	}
	var out []Alias
	for _, ap := range d.pairs(p.val, p.path) {
		out = append(out, d.alias(ap))
	}
	return out
}

func (d *decoder) alias(p pair) Alias {
	a := Alias{Name: p.name, Version: Latest, Line: p.key.Line}
	switch {
	case p.name == Default:
		// $DEFAULT always exists; configuring it sets its initial routing.
	case strings.HasPrefix(p.name, "$"):
		d.at(p.key, p.path, "%q is reserved (only $DEFAULT may be configured)", p.name)
	default:
		if err := platform.CheckAliasName(p.name); err != nil {
			d.at(p.key, p.path, "%v", err)
		}
	}
	f := d.fields(p.val, p.path, aliasKeys...)
	if f == nil {
		return a
	}
	if vp, ok := f["version"]; ok {
		if v, ok := d.version(vp, vp.val); ok {
			a.Version = v
		}
	}
	if wp, ok := f["weights"]; ok {
		a.Weights = d.weights(wp, a.Version)
	}
	if rp, ok := f["rules"]; ok {
		for i, n := range d.items(rp) {
			ip := pair{name: rp.name, key: rp.key, val: n, path: fmt.Sprintf("%s[%d]", rp.path, i)}
			if r, ok := d.rule(ip, a.Version); ok {
				a.Rules = append(a.Rules, r)
			}
		}
	}
	if sp, ok := f["sticky"]; ok {
		if s, ok := d.str(sp); ok {
			if s != "" && !platform.IsHeaderName(s) {
				d.at(sp.val, sp.path, "%q is not a header name", s)
			}
			a.Sticky = s
		}
	}
	if sp, ok := f["shadow"]; ok {
		a.Shadow = d.shadow(sp, a.Version)
	}
	if dp, ok := f["description"]; ok {
		if s, ok := d.str(dp); ok {
			if n := len([]rune(s)); n > maxAliasDescLen {
				d.at(dp.val, dp.path, "description has %d characters, more than %d", n, maxAliasDescLen)
			}
			a.Description = s
		}
	}
	return a
}

// weights reads {version: fraction}; each version distinct and not the
// primary, each fraction in 0..1, their sum at most 1.
func (d *decoder) weights(p pair, primary string) []Weight {
	if isNull(p.val) {
		return nil
	}
	var out []Weight
	seen := map[string]int{}
	sum := 0.0
	for _, wp := range d.pairs(p.val, p.path) {
		v, ok := d.version(wp, wp.key)
		if !ok {
			continue
		}
		if first, dup := seen[v]; dup {
			d.at(wp.key, wp.path, "version %s is listed twice (first at line %d)", v, first)
			continue
		}
		seen[v] = wp.key.Line
		if v == primary {
			d.at(wp.key, wp.path, "version %s is the alias's primary version, which gets the remaining traffic", v)
			continue
		}
		w, ok := d.number(wp)
		if !ok {
			continue
		}
		if w < 0 || w > 1 {
			d.at(wp.val, wp.path, "weight %s for version %s is outside 0..1", fmtFloat(w), v)
			continue
		}
		sum += w
		out = append(out, Weight{Version: v, Weight: w})
	}
	if sum > 1+weightSumEpsilon {
		d.at(p.key, p.path, "weights add up to %s, more than 1", fmtFloat(sum))
	}
	return out
}

// shadow reads {version: V, weight: W}: a version other than the primary
// and a share of requests in (0, 1]. null means no shadow.
func (d *decoder) shadow(p pair, primary string) *Shadow {
	if isNull(p.val) {
		return nil
	}
	f := d.fields(p.val, p.path, shadowKeys...)
	if f == nil {
		return nil
	}
	if !d.present(p, f, shadowKeys[:2]) {
		return nil
	}
	diff := false
	if dp, ok := f["diff"]; ok {
		v := resolve(dp.val)
		if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&diff) != nil {
			d.at(dp.val, dp.path, "diff must be true or false, got %s", describe(v))
			return nil
		}
	}
	vp, wp := f["version"], f["weight"]
	v, vok := d.version(vp, vp.val)
	w, wok := d.number(wp)
	if !vok || !wok {
		return nil
	}
	ok := true
	if v == primary {
		d.at(vp.val, vp.path, "shadow version %s is the alias's primary version, which already gets every request", v)
		ok = false
	}
	if !(w > 0 && w <= 1) {
		d.at(wp.val, wp.path, "shadow weight %s must be more than 0 and at most 1", fmtFloat(w))
		ok = false
	}
	if !ok {
		return nil
	}
	return &Shadow{Version: v, Weight: w, Diff: diff}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// rule reads one rule in either the mapping or the string form.
func (d *decoder) rule(p pair, primary string) (Rule, bool) {
	var r Rule
	n := resolve(p.val)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		m := ruleStringRE.FindStringSubmatch(n.Value)
		if m == nil {
			d.at(p.val, p.path, "%q is not of the form %s", n.Value, ruleStringExample)
			return r, false
		}
		vn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m[1], Line: n.Line, Column: n.Column}
		v, ok := d.version(p, vn)
		if !ok {
			return r, false
		}
		r = Rule{Version: v, Key: m[2], Method: m[3], Expression: m[4]}
		whole := func(string) pair { return p }
		return r, d.checkRule(r, primary, whole)
	}
	f := d.fields(p.val, p.path, ruleKeys...)
	if f == nil {
		return r, false
	}
	if !d.present(p, f, ruleKeys) {
		return r, false
	}
	v, vok := d.version(f["version"], f["version"].val)
	key, kok := d.str(f["key"])
	method, mok := d.str(f["method"])
	expr, eok := d.str(f["expression"])
	if !vok || !kok || !mok || !eok {
		return r, false
	}
	r = Rule{Version: v, Key: key, Method: method, Expression: expr}
	part := func(k string) pair { return f[k] }
	return r, d.checkRule(r, primary, part)
}

// required words a list of missing keys: "key is required",
// "method and expression are required", "a, b and c are required".
// present reports whether the mapping p (its fields f) has every key, and
// reports the missing ones at p when it does not.
func (d *decoder) present(p pair, f map[string]pair, keys []string) bool {
	var missing []string
	for _, k := range keys {
		if _, ok := f[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		d.at(p.val, p.path, "%s", required(missing))
	}
	return len(missing) == 0
}

func required(keys []string) string {
	if len(keys) == 1 {
		return keys[0] + " is required"
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1] + " are required"
}

// checkRule validates a decoded rule; part locates each field ("version",
// "key", "method", "expression") for messages.
func (d *decoder) checkRule(r Rule, primary string, part func(string) pair) bool {
	ok := true
	fail := func(field, format string, args ...any) {
		p := part(field)
		d.at(p.val, p.path, format, args...)
		ok = false
	}
	if r.Version == primary {
		fail("version", "rule version %s is the alias's primary version", r.Version)
	}
	if _, ok := platform.RuleHeader(r.Key); !ok {
		fail("key", "key %q does not have the form %sNAME", r.Key, platform.RuleKeyPrefix)
	}
	switch r.Method {
	case platform.RuleExact:
		if r.Expression == "" {
			fail("expression", "exact rule needs a value to compare with")
		}
	case platform.RuleRange:
		if _, err := platform.ParseRange(r.Expression); err != nil {
			fail("expression", "%v", err)
		}
	default:
		fail("method", "method %q is not exact or range", r.Method)
	}
	return ok
}
