package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/scf-emulator/emulator/gateway"
)

// splitRoute is one gateway route of a function (gateway.Route).
type splitRoute = gateway.Route

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
		writeJSON(w, http.StatusOK, routesAnswer{Function: fn, Services: len(a.gw.Services()), Routes: a.gw.Routes(fn)})
	})
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
