package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scf-emulator/emulator/platform"
)

var (
	serviceKeys = []string{"stages", "apis"}
	apiKeys     = []string{"path", "method", "function", "stages", "integratedResponse"}
)

var (
	paramRE     = regexp.MustCompile(`\{([^{}]*)\}`)
	paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	pathCharsRE = regexp.MustCompile(`^[A-Za-z0-9_.~!$&'()*+,;=:@%/-]*$`)
)

func (d *decoder) services(p pair, defined map[string]bool) []Service {
	if isNull(p.val) {
		return nil
	}
	var out []Service
	// Services are told apart by Host: <service>.localhost, and host names
	// ignore case, so A and a would be the same service.
	byHost := map[string]pair{}
	for _, sp := range d.pairs(p.val, p.path) {
		if !serviceNameRE.MatchString(sp.name) {
			d.at(sp.key, sp.path, "%q is not a valid service name (1-50 letters, digits, _ or -, starting with a letter)", sp.name)
		} else if first, dup := byHost[strings.ToLower(sp.name)]; dup {
			d.at(sp.key, sp.path, "service %s clashes with service %s at line %d (host names ignore case)", sp.name, first.name, first.key.Line)
		} else {
			byHost[strings.ToLower(sp.name)] = sp
		}
		out = append(out, d.service(sp, defined))
	}
	return out
}

func (d *decoder) service(p pair, defined map[string]bool) Service {
	s := Service{Name: p.name, Line: p.key.Line}
	f := d.fields(p.val, p.path, serviceKeys...)
	if f == nil {
		return s
	}
	sp, ok := f["stages"]
	if ok {
		s.Stages = d.stages(sp, nil)
	}
	// Stages that were given but invalid have their own problems.
	if r := resolve(sp.val); !ok || isNull(r) || r.Kind == yaml.MappingNode && len(r.Content) == 0 {
		at := p.key
		if ok {
			at = sp.key
		}
		d.at(at, p.path, "at least one stage is required (e.g. stages: {release: $DEFAULT})")
	}
	ap, ok := f["apis"]
	if !ok {
		d.at(p.key, p.path, "apis is required (e.g. apis: [{path: /hello, function: B}])")
		return s
	}
	seen := map[string]*API{}
	items := d.items(ap)
	for i, n := range items {
		ip := pair{name: ap.name, key: ap.key, val: n, path: fmt.Sprintf("%s[%d]", ap.path, i)}
		api, ok := d.api(ip, s, defined)
		if !ok {
			continue
		}
		route := api.Method + " " + paramRE.ReplaceAllString(api.Path, "{}")
		if first, dup := seen[route]; dup {
			d.at(n, ip.path, "%s %s is already defined at line %d", api.Method, api.Path, first.Line)
			continue
		}
		seen[route] = &api
		s.APIs = append(s.APIs, api)
	}
	// A value of the wrong kind was reported by items; null or [] is reported here.
	if len(items) == 0 && (isNull(ap.val) || resolve(ap.val).Kind == yaml.SequenceNode) {
		d.at(ap.key, ap.path, "at least one api is required")
	}
	return s
}

// stages reads stage -> qualifier. When of is not nil the stage names must
// be stages of the service (per-API overrides).
func (d *decoder) stages(p pair, of map[string]string) map[string]string {
	if isNull(p.val) {
		return nil
	}
	out := map[string]string{}
	for _, sp := range d.pairs(p.val, p.path) {
		switch {
		case of != nil:
			if _, ok := of[sp.name]; !ok {
				d.at(sp.key, sp.path, "%q is not a stage of this service (stages: %s)", sp.name, strings.Join(sortedKeys(of), ", "))
				continue
			}
		case !stageNameRE.MatchString(sp.name):
			d.at(sp.key, sp.path, "%q is not a valid stage name (1-32 lower-case letters, digits, _ or -, starting with a letter)", sp.name)
			continue
		}
		if q, ok := d.qualifier(sp); ok {
			out[sp.name] = q
		}
	}
	return out
}

func (d *decoder) api(p pair, s Service, defined map[string]bool) (API, bool) {
	api := API{Method: "ANY", Line: p.val.Line}
	f := d.fields(p.val, p.path, apiKeys...)
	if f == nil {
		return api, false
	}
	ok := true
	if pp, has := f["path"]; has {
		if v, vok := d.str(pp); vok {
			api.Path = v
			if msg := checkAPIPath(v); msg != "" {
				d.at(pp.val, pp.path, "%s", msg)
				ok = false
			}
		} else {
			ok = false
		}
	} else {
		d.at(p.val, p.path, "path is required")
		ok = false
	}
	if mp, has := f["method"]; has {
		if v, vok := d.str(mp); vok {
			api.Method = strings.ToUpper(v)
			if !platform.IsMethod(api.Method) {
				d.at(mp.val, mp.path, "%q is not one of %s", v, platform.MethodList())
				ok = false
			}
		} else {
			ok = false
		}
	}
	if fp, has := f["function"]; has {
		if v, vok := d.str(fp); vok {
			api.Function = v
			if !defined[v] {
				d.at(fp.val, fp.path, "function %q is not defined in functions", v)
			}
		}
	} else {
		d.at(p.val, p.path, "function is required")
	}
	if ip, has := f["integratedResponse"]; has {
		v := resolve(ip.val)
		if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			d.at(ip.val, ip.path, "expected true or false, got %s", describe(v))
		} else {
			var on bool
			_ = v.Decode(&on) // a !!bool scalar always decodes
			api.PassThrough = !on
		}
	}
	if sp, has := f["stages"]; has {
		// Without valid service stages the service already has a problem.
		if len(s.Stages) > 0 {
			api.Stages = d.stages(sp, s.Stages)
		}
	}
	return api, ok
}

// checkAPIPath is checkPath for an API path, which may carry the
// platform's "=" (exact) or "^~" (prefix) mark; a marked path is literal.
func checkAPIPath(path string) string {
	rest, exact := strings.CutPrefix(path, "=")
	rest, prefix := strings.CutPrefix(rest, "^~")
	if exact && prefix {
		return fmt.Sprintf("%q does not start with /", path)
	}
	if !exact && !prefix {
		return checkPath(path)
	}
	if msg := checkPath(rest); msg != "" {
		return strings.Replace(msg, strconv.Quote(rest), strconv.Quote(path), 1)
	}
	if strings.ContainsAny(rest, "{}") {
		return fmt.Sprintf("%q is an exact (=) or prefix (^~) path, which is literal: drop the { } or the mark", path)
	}
	return ""
}

// checkPath validates a URL path (an API's or a CLB trigger's) and returns
// a message, or "" when usable.
func checkPath(path string) string {
	if !strings.HasPrefix(path, "/") {
		return fmt.Sprintf("%q does not start with /", path)
	}
	if strings.Contains(path, "//") {
		return fmt.Sprintf("%q has an empty segment", path)
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Sprintf("%q holds a query or fragment; give only the path", path)
	}
	names := map[string]bool{}
	for _, m := range paramRE.FindAllStringSubmatch(path, -1) {
		name := m[1]
		if !paramNameRE.MatchString(name) {
			return fmt.Sprintf("%q has parameter {%s}; names are letters, digits and _", path, name)
		}
		if names[name] {
			return fmt.Sprintf("%q uses parameter {%s} twice", path, name)
		}
		names[name] = true
	}
	rest := paramRE.ReplaceAllString(path, "")
	if strings.ContainsAny(rest, "{}") {
		return fmt.Sprintf("%q has an unbalanced { or }", path)
	}
	if !pathCharsRE.MatchString(rest) {
		return fmt.Sprintf("%q holds characters that are not allowed in a URL path", path)
	}
	return ""
}

// sortedKeys lists a map's keys in order, for stable messages.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
