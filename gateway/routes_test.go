package gateway

import (
	"reflect"
	"testing"
)

func TestRoutes(t *testing.T) {
	two := []Service{
		{Name: "A", Stages: map[string]string{"release": "release", "dev": "$DEFAULT", "test": ""}, APIs: []API{
			{Path: "/hello", Method: "ANY", Function: "B"},
			{Path: "/users/{id}", Method: "get", Function: "B", Stages: map[string]string{"release": "1", "test": "2"}},
			{Path: "/other", Method: "ANY", Function: "C"},
		}},
		{Name: "Trig", Stages: map[string]string{"prepub": ""}, APIs: []API{
			{Path: "/t", Method: "POST", Function: "B", Stages: map[string]string{"prepub": "canary"}, OnlyStages: true},
		}},
	}
	tests := []struct {
		name string
		svcs []Service
		fn   string
		want []Route
	}{
		{"stage bindings, overrides and declared stages", two, "B", []Route{
			{Service: "A", Host: "a.localhost", Stage: "dev", Path: "/hello", Method: "ANY", Qualifier: "$DEFAULT"},
			{Service: "A", Host: "a.localhost", Stage: "dev", Path: "/users/{id}", Method: "GET", Qualifier: "$DEFAULT"},
			{Service: "A", Host: "a.localhost", Stage: "release", Path: "/hello", Method: "ANY", Qualifier: "release"},
			{Service: "A", Host: "a.localhost", Stage: "release", Path: "/users/{id}", Method: "GET", Qualifier: "1"},
			{Service: "A", Host: "a.localhost", Stage: "test", Path: "/users/{id}", Method: "GET", Qualifier: "2"},
			{Service: "Trig", Host: "trig.localhost", Stage: "prepub", Path: "/t", Method: "POST", Qualifier: "canary"},
		}},
		{"another function", two, "C", []Route{
			{Service: "A", Host: "a.localhost", Stage: "dev", Path: "/other", Method: "ANY", Qualifier: "$DEFAULT"},
			{Service: "A", Host: "a.localhost", Stage: "release", Path: "/other", Method: "ANY", Qualifier: "release"},
		}},
		{"a function behind no API", two, "nobody", []Route{}},
		{"one service", grayscale(), "B", []Route{
			{Service: "A", Host: "a.localhost", Stage: "dev", Path: "/hello", Method: "ANY", Qualifier: "$DEFAULT"},
			{Service: "A", Host: "a.localhost", Stage: "dev", Path: "/users/{id}", Method: "GET", Qualifier: "$DEFAULT"},
			{Service: "A", Host: "a.localhost", Stage: "prepub", Path: "/hello", Method: "ANY", Qualifier: "prepub"},
			{Service: "A", Host: "a.localhost", Stage: "prepub", Path: "/users/{id}", Method: "GET", Qualifier: "prepub"},
			{Service: "A", Host: "a.localhost", Stage: "release", Path: "/hello", Method: "ANY", Qualifier: "release"},
			{Service: "A", Host: "a.localhost", Stage: "release", Path: "/users/{id}", Method: "GET", Qualifier: "1"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, &fakeBackend{}, tc.svcs, Options{})
			if got := g.Routes(tc.fn); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Routes(%s) =\n%+v\nwant\n%+v", tc.fn, got, tc.want)
			}
		})
	}
}
