package replay

import (
	"testing"

	"github.com/scf-emulator/emulator/diff"
)

func TestEndpoint(t *testing.T) {
	rp := New(&fakeBackend{}, fakeAliases{}, twoServices(), &fakeStore{})
	tests := []struct {
		name, fn, stage string
		rr              diff.Request
		want            string
	}{
		{"template, query cut", "B", "release", diff.Request{Method: "GET", Path: "/users/7?x=1"}, "GET /users/{id}"},
		{"method case", "B", "v1", diff.Request{Method: "get", Path: "/users/7"}, "get /users/{id}"},
		{"method the route does not take", "B", "release", diff.Request{Method: "POST", Path: "/users/7"}, "POST /users/7"},
		{"another stage", "B", "prepub", diff.Request{Method: "GET", Path: "/users/7"}, "GET /users/7"},
		{"ANY route", "D", "release", diff.Request{Method: "DELETE", Path: "/"}, "DELETE /"},
		{"unknown function", "X", "release", diff.Request{Method: "GET", Path: "/users/7"}, "GET /users/7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rp.endpoint(tc.fn, tc.stage, tc.rr); got != tc.want {
				t.Errorf("endpoint = %q, want %q", got, tc.want)
			}
		})
	}
}
