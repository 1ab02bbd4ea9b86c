package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/gateway"
)

// splitRoute is one gateway route of a function: where a request must go
// (Host, /stage/path, method) and the qualifier that routes it.
type splitRoute struct {
	Service   string `json:"service"`
	Host      string `json:"host"` // <service>.localhost
	Stage     string `json:"stage"`
	Path      string `json:"path"`   // mux template, e.g. /users/{id}
	Method    string `json:"method"` // ANY, GET, ...
	Qualifier string `json:"qualifier"`
}

// routesAnswer is what GET /emulator/routes returns.
type routesAnswer struct {
	Function string `json:"function"`
	// Services is how many services the gateway serves; with one, the
	// Host header does not matter.
	Services int          `json:"services"`
	Routes   []splitRoute `json:"routes"`
}

// splitTestRoutes registers what split-test asks the server: the gateway
// routes of a function, GET /emulator/routes?function=B.
func (a *App) splitTestRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /emulator/routes", func(w http.ResponseWriter, r *http.Request) {
		fn := r.URL.Query().Get("function")
		if _, err := a.reg.Function(fn); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		svcs := a.gw.Services()
		writeJSON(w, http.StatusOK, routesAnswer{Function: fn, Services: len(svcs), Routes: functionRoutes(svcs, fn)})
	})
}

// functionRoutes lists every (service, stage, API) that serves function fn,
// with the qualifier the stage or the API's override binds.
func functionRoutes(svcs []gateway.Service, fn string) []splitRoute {
	out := []splitRoute{}
	for _, s := range svcs {
		for _, api := range s.APIs {
			if api.Function != fn {
				continue
			}
			stages := s.Stages
			if api.OnlyStages {
				stages = api.Stages
			}
			for stage, q := range stages {
				if o, ok := api.Stages[stage]; ok {
					q = o
				}
				if q == "" {
					continue // declared, but this API is not bound there
				}
				method := strings.ToUpper(api.Method)
				if method == "" {
					method = "ANY"
				}
				out = append(out, splitRoute{Service: s.Name, Host: strings.ToLower(s.Name) + ".localhost",
					Stage: stage, Path: api.Path, Method: method, Qualifier: q})
			}
		}
	}
	slices.SortFunc(out, func(x, y splitRoute) int {
		return cmp.Or(cmp.Compare(x.Service, y.Service), cmp.Compare(x.Stage, y.Stage), cmp.Compare(x.Path, y.Path))
	})
	return out
}

// fetchRoutes asks the admin address for the function's routes.
func fetchRoutes(ctx context.Context, endpoint, fn string) (routesAnswer, error) {
	resp, err := adminGet(ctx, endpoint, "/emulator/routes", url.Values{"function": {fn}})
	if err != nil {
		return routesAnswer{}, fmt.Errorf("routes of %s: %w", fn, err)
	}
	defer resp.Body.Close()
	var ans routesAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return routesAnswer{}, fmt.Errorf("routes of %s: %w", fn, err)
	}
	return ans, nil
}

// pickRoute chooses the route the test targets: the one on stage (when
// given) whose path template matches path (when given) and whose method
// admits method. It returns the concrete path to request.
func pickRoute(routes []splitRoute, stage, path, method string) (splitRoute, string, error) {
	var hits []splitRoute
	for _, r := range routes {
		if (stage == "" || r.Stage == stage) && (path == "" || matchTemplate(r.Path, path)) &&
			(r.Method == "ANY" || strings.EqualFold(r.Method, method)) {
			hits = append(hits, r)
		}
	}
	switch {
	case len(hits) == 0:
		return splitRoute{}, "", fmt.Errorf("no route of the function matches stage %q, path %q and method %s; its routes: %s",
			stage, path, method, describeRoutes(routes))
	case len(hits) > 1:
		return splitRoute{}, "", fmt.Errorf("%d routes match; choose one with --stage and --path: %s", len(hits), describeRoutes(hits))
	}
	r := hits[0]
	if path == "" {
		if strings.Contains(r.Path, "{") {
			return splitRoute{}, "", fmt.Errorf("route %s has path parameters; give a concrete --path", r.Path)
		}
		path = r.Path
	}
	return r, path, nil
}

// matchTemplate reports whether path fits a mux path template, where a
// {name} (or {name:pattern}) segment stands for any one segment.
func matchTemplate(tmpl, path string) bool {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if t != ps[i] {
			return false
		}
	}
	return true
}

func describeRoutes(rs []splitRoute) string {
	if len(rs) == 0 {
		return "none (is it behind a service or an apigw trigger?)"
	}
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s /%s%s %s -> %s", r.Service, r.Stage, r.Path, r.Method, r.Qualifier))
	}
	return strings.Join(parts, "; ")
}
