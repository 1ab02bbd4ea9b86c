package gateway

import (
	"errors"
	"fmt"
	"github.com/scf-emulator/emulator/platform"
	"regexp"
	"strings"
)

// The gateway matches API paths as the platform's API Gateway does
// (scf-behaviour 5.3), in four kinds tried in this order: "=/x" matches
// /x and nothing else; "^~/x" matches every path that starts with /x;
// a template with {name} variables matches the whole decoded path with the
// semantics of the gorilla/mux templates the configuration has always used
// ({name} is one non-empty segment ([^/]+), {name:pattern} a regular
// expression, no trailing slash tolerance); and a plain literal path "/x"
// matches as a prefix too (/x, /xtest, /x/a/b), after everything else, so
// that "/" sends every path to a web function's own router. Prefixes are
// plain string prefixes, as the platform's, and the longer one goes first.
// Routes are tried in that order and the first whose path and method match
// wins; a path match with the wrong method only makes the answer 405 when
// no route matches at all. Matching allocates nothing for literal paths
// and the common templates (literal segments, whole-segment {name}, a
// trailing {name:.*}).

// pathKind is the kind of an API path, in the order routes are tried.
type pathKind uint8

const (
	kindExact  pathKind = iota // "=/x"
	kindPrefix                 // "^~/x"
	kindParam                  // a template with {name}
	kindPlain                  // a literal "/x", matched as a prefix
)

// splitPathKind tells the kind of a declared API path and returns the
// path without its "=" or "^~" mark.
func splitPathKind(declared string) (pathKind, string) {
	if p, ok := strings.CutPrefix(declared, "="); ok {
		return kindExact, p
	}
	if p, ok := strings.CutPrefix(declared, "^~"); ok {
		return kindPrefix, p
	}
	if strings.ContainsAny(declared, "{}") {
		return kindParam, declared
	}
	return kindPlain, declared
}

// compilePath compiles a declared API path: its kind, and for a template
// its compiled form. A "=" or "^~" path is literal.
func compilePath(declared string) (*pathTemplate, error) {
	kind, p := splitPathKind(declared)
	if kind == kindParam {
		return compileTemplate(p)
	}
	if strings.ContainsAny(p, "{}") {
		return nil, fmt.Errorf("%w: %q is an exact (=) or prefix (^~) path, which are literal: drop the { } or the mark", errTemplate, declared)
	}
	return &pathTemplate{kind: kind, prefix: p}, nil
}

// errTemplate is wrapped by every template compile error.
var errTemplate = errors.New("bad path template")

// pathTemplate is one compiled API path.
type pathTemplate struct {
	kind  pathKind
	names []string // variable names, in template order
	// segs is the fast form: one entry per "/"-separated segment of the
	// template after its leading "/"; nil when re is used instead.
	segs []tmplSeg
	// tail, when set, makes the last variable take the rest of the path
	// (a trailing {name:.*} or {name:.+}); tailMin is 1 for .+.
	tail    bool
	tailMin int
	prefix  string         // the literal before the tail variable; the whole path of the literal kinds
	re      *regexp.Regexp // the general form, as mux builds it
}

// tmplSeg is a literal segment, or a whole-segment variable when isVar.
type tmplSeg struct {
	lit   string
	isVar bool
}

// pathParam is one matched variable: name and value.
type pathParam struct{ name, value string }

// maxParams is the most variables matchPath returns without allocating.
const maxParams = 8

// compileTemplate compiles tpl as mux does: braces are balanced (nested
// ones belong to the pattern), every variable has a name and a pattern, and
// a pattern may not hold capturing groups.
func compileTemplate(tpl string) (*pathTemplate, error) {
	idxs, err := braceIndices(tpl)
	if err != nil {
		return nil, err
	}
	t := &pathTemplate{kind: kindParam}
	var pattern strings.Builder
	pattern.WriteByte('^')
	end := 0
	simple := true // every variable is a whole segment with the default pattern
	var pats []string
	for i := 0; i < len(idxs); i += 2 {
		raw := tpl[end:idxs[i]]
		end = idxs[i+1]
		name, patt, hasPatt := strings.Cut(tpl[idxs[i]+1:end-1], ":")
		if !hasPatt {
			patt = "[^/]+"
		}
		if name == "" || patt == "" {
			return nil, fmt.Errorf("%w: missing name or pattern in %q", errTemplate, tpl[idxs[i]:end])
		}
		t.names = append(t.names, name)
		pats = append(pats, patt)
		fmt.Fprintf(&pattern, "%s(?P<v%d>%s)", regexp.QuoteMeta(raw), i/2, patt)
		if hasPatt || !strings.HasSuffix(raw, "/") || end < len(tpl) && tpl[end] != '/' {
			simple = false
		}
	}
	pattern.WriteString(regexp.QuoteMeta(tpl[end:]))
	pattern.WriteByte('$')
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errTemplate, err)
	}
	if re.NumSubexp() != len(t.names) {
		return nil, fmt.Errorf("%w: %q holds capturing groups in a pattern; only non-capturing groups (?:...) are accepted", errTemplate, tpl)
	}
	if len(t.names) > maxParams {
		return nil, fmt.Errorf("%w: %q has %d variables, at most %d", errTemplate, tpl, len(t.names), maxParams)
	}
	switch {
	case simple && strings.HasPrefix(tpl, "/"):
		for _, s := range strings.Split(tpl[1:], "/") {
			if strings.HasPrefix(s, "{") {
				t.segs = append(t.segs, tmplSeg{isVar: true})
			} else {
				t.segs = append(t.segs, tmplSeg{lit: s})
			}
		}
	case len(idxs) == 2 && end == len(tpl) && (pats[0] == ".*" || pats[0] == ".+"):
		t.tail, t.prefix = true, tpl[:idxs[0]]
		if pats[0] == ".+" {
			t.tailMin = 1
		}
	default:
		t.re = re
	}
	return t, nil
}

// braceIndices returns the start and end+1 of each top-level {...} in s,
// as mux finds them.
func braceIndices(s string) ([]int, error) {
	var level, idx int
	var idxs []int
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			if level++; level == 1 {
				idx = i
			}
		case '}':
			if level--; level == 0 {
				idxs = append(idxs, idx, i+1)
			} else if level < 0 {
				return nil, fmt.Errorf("%w: unbalanced braces in %q", errTemplate, s)
			}
		}
	}
	if level != 0 {
		return nil, fmt.Errorf("%w: unbalanced braces in %q", errTemplate, s)
	}
	return idxs, nil
}

// match reports whether the decoded path p matches, filling params (whose
// length must be at least len(t.names)) with the variables' values.
func (t *pathTemplate) match(p string, params []pathParam) bool {
	switch {
	case t.kind == kindExact:
		return p == t.prefix
	case t.kind == kindPrefix || t.kind == kindPlain:
		return strings.HasPrefix(p, t.prefix)
	case t.segs != nil:
		if len(p) == 0 || p[0] != '/' {
			return false
		}
		rest := p[1:]
		n := 0
		for i, s := range t.segs {
			seg := rest
			last := i == len(t.segs)-1
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				if last {
					return false
				}
				seg, rest = rest[:j], rest[j+1:]
			} else if !last {
				return false
			}
			if s.isVar {
				if seg == "" {
					return false
				}
				params[n] = pathParam{t.names[n], seg}
				n++
			} else if seg != s.lit {
				return false
			}
		}
		return true
	case t.tail:
		v, ok := strings.CutPrefix(p, t.prefix)
		// "." matches any character but a newline, as in the regexp.
		if !ok || len(v) < t.tailMin || strings.IndexByte(v, '\n') >= 0 {
			return false
		}
		params[0] = pathParam{t.names[0], v}
		return true
	default:
		m := t.re.FindStringSubmatchIndex(p)
		if m == nil {
			return false
		}
		for i, name := range t.names {
			params[i] = pathParam{name, p[m[2*i+2]:m[2*i+3]]}
		}
		return true
	}
}

// matchResult is what a stage's routes make of a request.
type matchResult struct {
	api       *apiRoute
	params    [maxParams]pathParam
	nparams   int
	wrongVerb bool // some route's path matched, but not its method
}

// match finds the first route whose path and method match; on none,
// res.wrongVerb tells 405 from 404.
func (sr *stageRouter) match(method, path string, res *matchResult) bool {
	for _, ar := range sr.routes {
		if !ar.tmpl.match(path, res.params[:]) {
			continue
		}
		// ANY is the platform's methods, not any token a client sends.
		if method == "ANY" || (ar.method != method && (ar.method != "ANY" || !platform.IsMethod(method))) {
			res.wrongVerb = true
			continue
		}
		res.api, res.nparams = ar, len(ar.tmpl.names)
		return true
	}
	return false
}

// vars returns the matched variables as a map, as the event carries them;
// a later variable of the same name wins.
func (res *matchResult) vars() map[string]string {
	m := make(map[string]string, res.nparams)
	for _, p := range res.params[:res.nparams] {
		m[p.name] = p.value
	}
	return m
}
