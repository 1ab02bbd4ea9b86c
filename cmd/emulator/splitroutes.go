package main

import (
	"fmt"
	"strings"

	"github.com/scf-emulator/emulator/gateway"
)

// splitRoute is one gateway route of a function (gateway.Route).
type splitRoute = gateway.Route

// pickRoute chooses the route the test targets: on stage (when given),
// admitting method, and, when path is given, the one the gateway takes for
// it on each service and stage. It returns the concrete path to request.
func pickRoute(routes []splitRoute, stage, path, method string) (splitRoute, string, error) {
	var hits []splitRoute
	if path == "" {
		for _, r := range routes {
			if (stage == "" || r.Stage == stage) && (r.Method == "ANY" || strings.EqualFold(r.Method, method)) {
				hits = append(hits, r)
			}
		}
	} else {
		groups := map[[2]string][]splitRoute{}
		var order [][2]string
		for _, r := range routes {
			if stage != "" && r.Stage != stage {
				continue
			}
			k := [2]string{r.Service, r.Stage}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
		for _, k := range order {
			if i := gateway.PickRoute(groups[k], method, path); i >= 0 {
				hits = append(hits, groups[k][i])
			}
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
		path = gateway.URLPath(r.Path)
	}
	return r, path, nil
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
