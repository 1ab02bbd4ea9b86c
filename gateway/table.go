package gateway

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/platform"
)

// ErrInvalidService is wrapped by every SetServices validation error.
var ErrInvalidService = errors.New("invalid service")

// table is one immutable routing configuration.
type table struct {
	services []Service                // deep copy of what SetServices got
	byHost   map[string]*serviceTable // "<lower name>.localhost"
	only     *serviceTable            // set when there is exactly one service
}

// serviceTable routes the stages of one service.
type serviceTable struct {
	name   string
	id     string                  // "service-xxxxxxxx"
	stages map[string]*stageRouter // every declared stage, even one with no API
}

// stageRouter matches the APIs that have a qualifier in one stage.
type stageRouter struct {
	routes []*apiRoute // in the order they are tried (see rank)
}

// apiRoute is an API as bound in one stage.
type apiRoute struct {
	path, method, function, qualifier string
	passThrough                       bool // API.PassThrough
	tmpl                              *pathTemplate
}

// lookup returns the service a request's Host selects: the only service
// whatever the host, else the one named by "<service>.localhost".
func (t *table) lookup(host string) *serviceTable {
	if t == nil {
		return nil
	}
	if t.only != nil {
		return t.only
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return t.byHost[strings.ToLower(strings.TrimSuffix(host, "."))]
}

func buildTable(svcs []Service) (*table, error) {
	t := &table{services: cloneServices(svcs), byHost: make(map[string]*serviceTable, len(svcs))}
	for i, s := range t.services {
		st, err := buildService(s)
		if err != nil {
			return nil, fmt.Errorf("%w: service %d (%q): %w", ErrInvalidService, i+1, s.Name, err)
		}
		host := strings.ToLower(s.Name) + ".localhost"
		if prev, dup := t.byHost[host]; dup {
			return nil, fmt.Errorf("%w: service %q is declared twice (as %q and %q; host names ignore case)", ErrInvalidService, s.Name, prev.name, s.Name)
		}
		t.byHost[host] = st
	}
	if len(t.services) == 1 {
		t.only = t.byHost[strings.ToLower(t.services[0].Name)+".localhost"]
	}
	return t, nil
}

func buildService(s Service) (*serviceTable, error) {
	if err := checkName("service name", s.Name); err != nil {
		return nil, err
	}
	if len(s.Stages) == 0 {
		return nil, errors.New("no stages")
	}
	for stage := range s.Stages {
		if err := checkName("stage name", stage); err != nil {
			return nil, err
		}
	}
	apis := make([]API, len(s.APIs))
	for i, a := range s.APIs {
		a, err := checkAPI(a, s.Stages)
		if err != nil {
			return nil, fmt.Errorf("api %d (%s %s): %w", i+1, a.Method, a.Path, err)
		}
		apis[i] = a
	}
	st := &serviceTable{name: s.Name, id: serviceID(s.Name), stages: make(map[string]*stageRouter, len(s.Stages))}
	bound := make([]bool, len(apis))
	for _, stage := range slices.Sorted(maps.Keys(s.Stages)) {
		sr, err := buildStage(stage, s.Stages[stage], apis, bound)
		if err != nil {
			return nil, fmt.Errorf("stage %q: %w", stage, err)
		}
		st.stages[stage] = sr
	}
	for i, ok := range bound {
		if !ok {
			return nil, fmt.Errorf("api %d (%s %s) has no qualifier in any stage: give its stages a qualifier or the api a stages override", i+1, apis[i].Method, apis[i].Path)
		}
	}
	return st, nil
}

// checkAPI validates one API and returns it with its method upper-cased.
func checkAPI(a API, stages map[string]string) (API, error) {
	a.Method = strings.ToUpper(a.Method)
	if !platform.IsMethod(a.Method) {
		return a, fmt.Errorf("method %q is not one of %s", a.Method, platform.MethodList())
	}
	if _, p := splitPathKind(a.Path); !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?# \t") {
		return a, fmt.Errorf("path %q must start with / (or =/ for an exact path, ^~/ for a prefix) and hold no query, fragment or space", a.Path)
	}
	if _, err := compilePath(a.Path); err != nil {
		return a, fmt.Errorf("path %q: %w", a.Path, err)
	}
	if a.Function == "" {
		return a, errors.New("no function")
	}
	for stage, q := range a.Stages {
		if _, ok := stages[stage]; !ok {
			return a, fmt.Errorf("stages override names stage %q, which the service does not declare", stage)
		}
		if q == "" {
			return a, fmt.Errorf("stages override for %q has an empty qualifier", stage)
		}
	}
	return a, nil
}

// buildStage builds the router of one stage from the APIs that have a
// qualifier there, marking them in bound.
func buildStage(stage, qualifier string, apis []API, bound []bool) (*stageRouter, error) {
	var routes []*apiRoute
	seen := make(map[string]bool)
	for i, a := range apis {
		q, ok := a.Stages[stage]
		if !ok && !a.OnlyStages {
			q = qualifier
		}
		if q == "" {
			continue
		}
		bound[i] = true
		key := a.Method + " " + a.Path
		if seen[key] {
			return nil, fmt.Errorf("%s %s is bound twice", a.Method, a.Path)
		}
		seen[key] = true
		tmpl, err := compilePath(a.Path)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", a.Method, a.Path, err)
		}
		routes = append(routes, &apiRoute{path: a.Path, method: a.Method, function: a.Function, qualifier: q, passThrough: a.PassThrough, tmpl: tmpl})
	}
	// The first route that matches wins, so routes go by kind (exact,
	// "^~" prefix, template, plain prefix), the longer prefix first, one
	// method before ANY, and else in the order they are declared.
	slices.SortStableFunc(routes, func(x, y *apiRoute) int {
		return cmp.Or(cmp.Compare(x.tmpl.kind, y.tmpl.kind), cmp.Compare(prefixLen(y), prefixLen(x)),
			cmp.Compare(anyRank(x), anyRank(y)))
	})
	return &stageRouter{routes: routes}, nil
}

// prefixLen is how long a prefix route's prefix is; 0 for the other kinds.
func prefixLen(a *apiRoute) int {
	if a.tmpl.kind == kindPrefix || a.tmpl.kind == kindPlain {
		return len(a.tmpl.prefix)
	}
	return 0
}

func anyRank(a *apiRoute) int {
	if a.method == "ANY" {
		return 1
	}
	return 0
}

// checkName rejects names that cannot be a URL path segment or host label.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("empty %s", what)
	}
	for _, c := range name {
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return fmt.Errorf("%s %q holds %q; use letters, digits, - and _", what, name, c)
		}
	}
	return nil
}

// ServiceID is the stable API Gateway service id ("service-" and 8
// characters) that the gateway reports for a service name: the id the
// platform would have assigned, derived from the name so that events stay
// the same across restarts.
func ServiceID(name string) string { return serviceID(name) }

func serviceID(name string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(name))
	id := make([]byte, 0, 16)
	id = append(id, "service-"...)
	for _, b := range sum[:8] {
		id = append(id, alphabet[int(b)%len(alphabet)])
	}
	return string(id)
}

// splitStage splits "/release/users/1" into "release" and "/users/1"; the
// rest is "/" when the path has nothing after the stage. restRaw is the
// escaped rest when the URL carries an explicit escaped form.
func splitStage(u *url.URL) (stage, rest, restRaw string) {
	stage, rest = cutStage(u.Path)
	if u.RawPath != "" {
		_, restRaw = cutStage(u.RawPath)
	}
	return stage, rest, restRaw
}

func cutStage(p string) (stage, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, "/"
}

func cloneServices(svcs []Service) []Service {
	if svcs == nil {
		return nil
	}
	out := make([]Service, len(svcs))
	for i, s := range svcs {
		out[i] = Service{Name: s.Name, Stages: maps.Clone(s.Stages)}
		if s.APIs != nil {
			out[i].APIs = make([]API, len(s.APIs))
			for j, a := range s.APIs {
				a.Stages = maps.Clone(a.Stages)
				out[i].APIs[j] = a
			}
		}
	}
	return out
}
