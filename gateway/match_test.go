package gateway

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestTemplateMatchesLikeMux checks the compiled templates against
// gorilla/mux, whose template semantics the configuration has always had:
// every template against every path, match and variables alike.
func TestTemplateMatchesLikeMux(t *testing.T) {
	templates := []string{
		"/", "/hello", "/users/{id}", "/users/{id}/posts/{post}", "/app/{rest:.*}", "/app/{rest:.+}",
		"/files/{name}.json", "/a/{x}-{y}", "/n/{id:[0-9]+}", "/{any}", "/a//b", "/v/{v:(?:a|b)}/x",
		"/dup/{id}/{id}", "/tail/{p:.*}", "/{a}/{b}/{c}",
	}
	paths := []string{
		"", "/", "/hello", "/hello/", "/hello/x", "/users/42", "/users/", "/users/a b", "/users/42/posts/7",
		"/users/42/posts/", "/app/", "/app", "/app/x/y/z", "/app/line\nbreak", "/files/a.json", "/files/a.b.json",
		"/files/.json", "/a/1-2", "/a/1-2-3", "/a/-", "/n/123", "/n/12a", "/x", "//", "/a//b", "/a/b",
		"/v/a/x", "/v/c/x", "/dup/1/2", "/tail/", "/tail", "/1/2/3", "/1//3", "/é/ü/\xff",
	}
	for _, tpl := range templates {
		tm, err := compileTemplate(tpl)
		if err != nil {
			t.Fatalf("compile %q: %v", tpl, err)
		}
		rt := mux.NewRouter().NewRoute().Path(tpl)
		if err := rt.GetError(); err != nil {
			t.Fatalf("mux rejects %q: %v", tpl, err)
		}
		for _, p := range paths {
			t.Run(tpl+" "+p, func(t *testing.T) {
				r := &http.Request{Method: "GET", URL: &url.URL{Path: p}}
				var m mux.RouteMatch
				want := rt.Match(r, &m)
				params := make([]pathParam, maxParams)
				got := tm.match(p, params)
				if got != want {
					t.Fatalf("match(%q) = %v, mux says %v", p, got, want)
				}
				if !got {
					return
				}
				res := matchResult{params: [maxParams]pathParam(params), nparams: len(tm.names)}
				if vars := res.vars(); !reflect.DeepEqual(vars, m.Vars) {
					t.Errorf("vars = %v, mux says %v", vars, m.Vars)
				}
			})
		}
	}
}

func TestCompileTemplateErrors(t *testing.T) {
	for _, tc := range []struct{ tpl, want string }{
		{"/x/{id", "unbalanced braces"},
		{"/x/id}", "unbalanced braces"},
		{"/x/{}", "missing name or pattern"},
		{"/x/{id:}", "missing name or pattern"},
		{"/x/{id:(a)}", "capturing groups"},
		{"/x/{id:[}", "error parsing regexp"},
	} {
		t.Run(tc.tpl, func(t *testing.T) {
			_, err := compileTemplate(tc.tpl)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compileTemplate(%q) = %v, want an error with %q", tc.tpl, err, tc.want)
			}
			if muxAccepts(tc.tpl) {
				t.Errorf("mux accepts %q, which we reject", tc.tpl)
			}
		})
	}
}

// muxAccepts reports whether mux takes tpl; mux panics on a capturing
// group, which the old gateway passed on to SetServices' caller.
func muxAccepts(tpl string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return mux.NewRouter().Path(tpl).GetError() == nil
}

// TestStageMatchAllocatesNothing: matching a request against a stage's
// routes, literal paths of every kind and the common templates, costs no
// allocation.
func TestStageMatchAllocatesNothing(t *testing.T) {
	sr, err := buildStage("release", "release", []API{
		{Path: "/hello", Method: "ANY", Function: "B"},
		{Path: "/users/{id}", Method: "GET", Function: "B"},
		{Path: "/app/{rest:.*}", Method: "ANY", Function: "W"},
		{Path: "=/exact", Method: "GET", Function: "B"},
		{Path: "^~/static", Method: "GET", Function: "B"},
		{Path: "/more", Method: "GET", Function: "W"},
	}, make([]bool, 6))
	if err != nil {
		t.Fatal(err)
	}
	var res matchResult
	for _, p := range []string{"/hello", "/users/42", "/app/x/y", "/exact", "/static/a.css", "/more/path"} {
		n := testing.AllocsPerRun(100, func() {
			res = matchResult{}
			if !sr.match("GET", p, &res) {
				t.Fatalf("%s does not match", p)
			}
		})
		if n != 0 {
			t.Errorf("matching %s allocates %.0f times", p, n)
		}
	}
	res = matchResult{}
	if sr.match("POST", "/users/1", &res) || !res.wrongVerb {
		t.Errorf("POST /users/1: matched %v, wrongVerb %v; want no match and wrongVerb", res.api != nil, res.wrongVerb)
	}
	// ANY binds the platform's methods, not any token a client sends.
	for _, m := range []string{"FOO", "TRACE", "CONNECT", "ANY"} {
		res = matchResult{}
		if sr.match(m, "/hello", &res) || !res.wrongVerb {
			t.Errorf("%s /hello: matched %v, wrongVerb %v; want 405", m, res.api != nil, res.wrongVerb)
		}
	}
}
