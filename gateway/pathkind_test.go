package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestPathKinds: the platform's matching priority (scf-behaviour 5.3):
// "=/x" exact > "^~/x" prefix > "/x/{id}" template > plain "/x", which is
// a prefix too; among prefixes the longer goes first.
func TestPathKinds(t *testing.T) {
	apis := []API{
		{Path: "/", Method: "ANY", Function: "root"},
		{Path: "/user", Method: "ANY", Function: "plain-user"},
		{Path: "/user/{id}", Method: "GET", Function: "param-user"},
		{Path: "^~/static", Method: "GET", Function: "prefix-static"},
		{Path: "^~/static/img", Method: "GET", Function: "prefix-img"},
		{Path: "=/user/me", Method: "GET", Function: "exact-me"},
		{Path: "/user/{id}/posts", Method: "GET", Function: "param-posts"},
		{Path: "^~/user/admin", Method: "ANY", Function: "prefix-admin"},
		{Path: "/files/{rest:.*}", Method: "GET", Function: "tail"},
	}
	sr, err := buildStage("release", "release", apis, make([]bool, len(apis)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, want string
		params             map[string]string
	}{
		{"GET", "/user/me", "exact-me", nil},
		{"POST", "/user/me", "plain-user", nil}, // the exact API is GET only
		{"GET", "/user/me/", "plain-user", nil}, // exact means exact
		{"GET", "/user/42", "param-user", map[string]string{"id": "42"}},
		{"GET", "/user/42/posts", "param-posts", map[string]string{"id": "42"}},
		{"GET", "/user/42/other", "plain-user", nil},
		{"GET", "/usertest", "plain-user", nil},
		{"GET", "/user", "plain-user", nil},
		{"GET", "/user/admin", "prefix-admin", nil}, // ^~ before the GET template
		{"GET", "/user/adminx/y", "prefix-admin", nil},
		{"GET", "/static/img/a.png", "prefix-img", nil}, // the longer prefix
		{"GET", "/static/css/a.css", "prefix-static", nil},
		{"GET", "/staticfile", "prefix-static", nil},
		{"POST", "/static/x", "root", nil},
		{"GET", "/files/a/b", "tail", map[string]string{"rest": "a/b"}},
		{"GET", "/other/x", "root", nil},
		{"GET", "/", "root", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var res matchResult
			if !sr.match(tc.method, tc.path, &res) {
				t.Fatalf("no match (wrongVerb %v), want %s", res.wrongVerb, tc.want)
			}
			if res.api.function != tc.want {
				t.Errorf("matched %s (%s), want %s", res.api.function, res.api.path, tc.want)
			}
			got := res.vars()
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.params) {
				t.Errorf("params = %v, want %v", got, tc.params)
			}
		})
	}
}

// TestPathKindWrongMethod: an exact or ^~ path matched with another method
// makes a 405, not a 404, when nothing else matches.
func TestPathKindWrongMethod(t *testing.T) {
	apis := []API{{Path: "=/x", Method: "GET", Function: "F"}, {Path: "^~/p", Method: "GET", Function: "F"}}
	sr, err := buildStage("release", "release", apis, make([]bool, len(apis)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/x", "/p/q"} {
		var res matchResult
		if sr.match("POST", p, &res) || !res.wrongVerb {
			t.Errorf("POST %s: matched %v, wrongVerb %v; want no match and wrongVerb", p, res.api != nil, res.wrongVerb)
		}
	}
	var res matchResult
	if sr.match("GET", "/x/", &res) || res.wrongVerb {
		t.Errorf("GET /x/: matched %v, wrongVerb %v; want neither", res.api != nil, res.wrongVerb)
	}
}

// TestPathKindValidation: =/x and ^~/x are accepted, literal only, and
// /x, =/x, ^~/x are three APIs; the same one twice in a stage is refused.
func TestPathKindValidation(t *testing.T) {
	svc := func(apis ...API) []Service {
		return []Service{{Name: "A", Stages: map[string]string{"release": "release"}, APIs: apis}}
	}
	for _, tc := range []struct {
		name    string
		apis    []API
		wantMsg string // "" = accepted
	}{
		{"three kinds of one path", []API{{Path: "/x", Method: "GET", Function: "F"}, {Path: "=/x", Method: "GET", Function: "F"}, {Path: "^~/x", Method: "GET", Function: "F"}}, ""},
		{"exact twice", []API{{Path: "=/x", Method: "GET", Function: "F"}, {Path: "=/x", Method: "GET", Function: "G"}}, "GET =/x is bound twice"},
		{"prefix twice", []API{{Path: "^~/x", Method: "ANY", Function: "F"}, {Path: "^~/x", Method: "ANY", Function: "G"}}, "ANY ^~/x is bound twice"},
		{"exact with variable", []API{{Path: "=/x/{id}", Method: "GET", Function: "F"}}, "literal"},
		{"prefix with variable", []API{{Path: "^~/{id}", Method: "GET", Function: "F"}}, "literal"},
		{"exact without slash", []API{{Path: "=x", Method: "GET", Function: "F"}}, "must start with /"},
		{"prefix without slash", []API{{Path: "^~", Method: "GET", Function: "F"}}, "must start with /"},
		{"mark twice", []API{{Path: "=^~/x", Method: "GET", Function: "F"}}, "must start with /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := New(&fakeBackend{}, Options{}).SetServices(svc(tc.apis...))
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Fatalf("SetServices: %v", err)
			case tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)):
				t.Fatalf("SetServices = %v, want an error with %q", err, tc.wantMsg)
			}
		})
	}
}

// TestPathKindEvent: the event keeps the actual path (without the stage)
// in path and the declared path in requestContext.path.
func TestPathKindEvent(t *testing.T) {
	svcs := []Service{{Name: "A", Stages: map[string]string{"release": "release"}, APIs: []API{
		{Path: "/api", Method: "ANY", Function: "B"},
		{Path: "=/api/v1", Method: "ANY", Function: "B"},
		{Path: "^~/api/v2", Method: "ANY", Function: "B"},
	}}}
	g := newTestGateway(t, &fakeBackend{}, svcs, Options{})
	for _, tc := range []struct{ target, path, template string }{
		{"/release/api/users/1", "/api/users/1", "/api"},
		{"/release/api/v1", "/api/v1", "=/api/v1"},
		{"/release/api/v2/x", "/api/v2/x", "^~/api/v2"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			w := do(g, "GET", tc.target, nil, nil)
			var got echoed
			if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil {
				t.Fatalf("status %d, body %s (%v)", w.Code, w.Body, err)
			}
			if got.Path != tc.path || got.Template != tc.template || len(got.PathParameters) != 0 {
				t.Errorf("event path %q, requestContext.path %q, pathParameters %v; want %q, %q, none",
					got.Path, got.Template, got.PathParameters, tc.path, tc.template)
			}
		})
	}
}

// TestWebFunctionAtRoot: the new user's repro. A web function bound at "/"
// gets every path of its stage, as on the platform, for its own router.
func TestWebFunctionAtRoot(t *testing.T) {
	addr, last, _ := webUpstream(t)
	svcs := []Service{{Name: "A", Stages: map[string]string{"release": "release"}, APIs: []API{{Path: "/", Method: "ANY", Function: "W"}}}}
	srv := startGateway(t, newTestGateway(t, webBackend(addr), svcs, Options{}))
	for _, p := range []string{"/users/1", "/", "/a/b/c?x=1"} {
		resp, err := srv.Client().Get(srv.URL + "/release" + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("GET /release%s = %d %s, want 201 from the web function", p, resp.StatusCode, body)
		}
		if s := last(); s.RequestURI != p {
			t.Errorf("the function saw %q, want %q", s.RequestURI, p)
		}
	}
}
