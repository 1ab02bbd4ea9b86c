package gateway

import (
	"cmp"
	"slices"
	"strings"
)

// Route is one place where the gateway serves a function: the request's
// Host (needed when the gateway serves several services), its /stage/path
// and method, and the qualifier that routes it.
type Route struct {
	Service   string `json:"service"`
	Host      string `json:"host"` // <service>.localhost
	Stage     string `json:"stage"`
	Path      string `json:"path"`   // as declared: /users/{id}, /hello (a prefix), =/x, ^~/x
	Method    string `json:"method"` // ANY, GET, ...
	Qualifier string `json:"qualifier"`
}

// Routes lists the routes of function fn in the table being served, sorted
// by service, stage and path. It reads the built table, so it shows exactly
// the stage bindings requests get.
func (g *Gateway) Routes(fn string) []Route {
	t := g.table.Load()
	out := []Route{}
	if t == nil {
		return out
	}
	for _, st := range t.byName() {
		for stage, sr := range st.stages {
			for _, ar := range sr.routes {
				if ar.function != fn {
					continue
				}
				out = append(out, Route{Service: st.name, Host: strings.ToLower(st.name) + ".localhost",
					Stage: stage, Path: ar.path, Method: ar.method, Qualifier: ar.qualifier})
			}
		}
	}
	slices.SortFunc(out, func(x, y Route) int {
		return cmp.Or(cmp.Compare(x.Service, y.Service), cmp.Compare(x.Stage, y.Stage),
			cmp.Compare(x.Path, y.Path), cmp.Compare(x.Method, y.Method))
	})
	return out
}

// byName is every service of the table.
func (t *table) byName() []*serviceTable {
	if t.only != nil {
		return []*serviceTable{t.only}
	}
	out := make([]*serviceTable, 0, len(t.byHost))
	for _, st := range t.byHost {
		out = append(out, st)
	}
	return out
}

// PickRoute returns the index in routes of the one a request with method
// and path p (decoded, without the stage) reaches, by the gateway's own
// order (kind, longer prefix, one method before ANY, order given), or -1.
// The routes should be of one service and stage; it is for tools that ask
// which API a path reaches (split tests, replays).
func PickRoute(routes []Route, method, p string) int {
	best := -1
	var bestKey [3]int
	for i, r := range routes {
		if r.Method != "ANY" && !strings.EqualFold(r.Method, method) {
			continue
		}
		t, err := compilePath(r.Path)
		if err != nil || !t.match(p, make([]pathParam, len(t.names))) {
			continue
		}
		n := 0
		if t.kind == kindPrefix || t.kind == kindPlain {
			n = len(t.prefix)
		}
		anyRank := 0
		if r.Method == "ANY" {
			anyRank = 1
		}
		key := [3]int{int(t.kind), -n, anyRank}
		if best < 0 || slices.Compare(key[:], bestKey[:]) < 0 {
			best, bestKey = i, key
		}
	}
	return best
}

// URLPath is the request path, without the stage, that reaches the API
// path declared as api when it has no variables: api without its "=" or
// "^~" mark.
func URLPath(api string) string {
	_, p := splitPathKind(api)
	return p
}
