package main

import (
	"fmt"
	"strings"

	"github.com/scf-emulator/emulator/gateway"
)

// splitRoute is one gateway route of a function (gateway.Route).
type splitRoute = gateway.Route

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
