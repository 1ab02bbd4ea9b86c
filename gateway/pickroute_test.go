package gateway

import "testing"

// TestPickRoute: tools asking which API a path reaches get the gateway's
// own answer: kind first (=exact, ^~prefix, template, plain prefix), the
// longer prefix, one method before ANY, then the order given.
func TestPickRoute(t *testing.T) {
	routes := []Route{
		{Path: "/", Method: "ANY"},                  // 0: plain prefix, takes what others leave
		{Path: "/users", Method: "ANY"},             // 1: plain prefix, longer
		{Path: "/users/{id}", Method: "GET"},        // 2: template
		{Path: "=/users/me", Method: "ANY"},         // 3: exact
		{Path: "^~/static", Method: "ANY"},          // 4: marked prefix, before templates
		{Path: "/static/{f}", Method: "GET"},        // 5: template, loses to 4
		{Path: "/orders", Method: "POST"},           // 6: one method ...
		{Path: "/orders", Method: "ANY"},            // 7: ... before ANY
		{Path: "/items/{id:[0-9]+}", Method: "GET"}, // 8: a pattern
	}
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 0},
		{"GET", "/anything/else", 0},
		{"GET", "/users", 1},
		{"GET", "/usersx", 1},
		{"GET", "/users/42", 2},
		{"POST", "/users/42", 1}, // the template is GET only
		{"GET", "/users/me", 3},
		{"GET", "/users/me/x", 1}, // exact is exact
		{"GET", "/static/app.js", 4},
		{"POST", "/orders", 6},
		{"GET", "/orders", 7},
		{"GET", "/items/7", 8},
		{"GET", "/items/x", 0},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			if got := PickRoute(routes, tc.method, tc.path); got != tc.want {
				t.Errorf("PickRoute(%s %s) = %d, want %d", tc.method, tc.path, got, tc.want)
			}
		})
	}
	if got := PickRoute(routes[2:3], "GET", "/other"); got != -1 {
		t.Errorf("no match: %d, want -1", got)
	}
	for api, want := range map[string]string{"=/x": "/x", "^~/x": "/x", "/x": "/x"} {
		if got := URLPath(api); got != want {
			t.Errorf("URLPath(%q) = %q, want %q", api, got, want)
		}
	}
}
