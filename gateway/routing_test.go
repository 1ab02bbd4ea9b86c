package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestRouting(t *testing.T) {
	multi := append(grayscale(), Service{
		Name:   "shop",
		Stages: map[string]string{"release": "live", "beta": ""},
		APIs: []API{
			{Path: "/items/{id}", Method: "GET", Function: "items"},
			{Path: "/items/{id}", Method: "POST", Function: "items-write"},
			{Path: "=/items/top", Method: "GET", Function: "top"},
			{Path: "/items", Method: "GET", Function: "items-list"},
			{Path: "/cart", Method: "ANY", Function: "cart-any"},
			{Path: "/cart", Method: "delete", Function: "cart-delete"},
			{Path: "/beta-only", Method: "GET", Function: "beta", Stages: map[string]string{"beta": "2"}},
		},
	})
	tests := []struct {
		name       string
		svcs       []Service
		method     string
		target     string
		host       string
		wantStatus int
		wantBody   string // exact, for errors
		want       *echoed
	}{
		{name: "release stage uses its alias", svcs: grayscale(), method: "GET", target: "/release/hello",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "release", Version: "1", Path: "/hello", Stage: "release", Template: "/hello"}},
		{name: "prepub stage", svcs: grayscale(), method: "POST", target: "/prepub/hello",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "prepub", Version: "1", Path: "/hello", Stage: "prepub", Template: "/hello"}},
		{name: "dev stage is $DEFAULT", svcs: grayscale(), method: "DELETE", target: "/dev/hello",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "$DEFAULT", Version: "1", Path: "/hello", Stage: "dev", Template: "/hello"}},
		{name: "per-api override and path param", svcs: grayscale(), method: "GET", target: "/release/users/42",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "1", Version: "1", Path: "/users/42", PathParameters: map[string]string{"id": "42"}, Stage: "release", Template: "/users/{id}"}},
		{name: "override applies to its stage only", svcs: grayscale(), method: "GET", target: "/prepub/users/7",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "prepub", Version: "1", Path: "/users/7", PathParameters: map[string]string{"id": "7"}, Stage: "prepub", Template: "/users/{id}"}},
		{name: "unknown stage", svcs: grayscale(), method: "GET", target: "/test/hello",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match default env_mapping[/test]"}`},
		{name: "empty path", svcs: grayscale(), method: "GET", target: "/",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match default env_mapping[/]"}`},
		{name: "no api in stage", svcs: grayscale(), method: "GET", target: "/release/nope",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match uri[/nope]"}`},
		{name: "stage root", svcs: grayscale(), method: "GET", target: "/release",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match uri[/]"}`},
		{name: "plain path is a prefix", svcs: grayscale(), method: "GET", target: "/release/hello/",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "release", Version: "1", Path: "/hello/", Stage: "release", Template: "/hello"}},
		{name: "template needs its whole path", svcs: grayscale(), method: "GET", target: "/release/users/1/x",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match uri[/users/1/x]"}`},
		{name: "wrong method", svcs: grayscale(), method: "POST", target: "/release/users/42",
			wantStatus: 405, wantBody: `{"errno":405,"error":"There is no api match method[POST] uri[/users/42]"}`},
		{name: "host ignored with one service", svcs: grayscale(), method: "GET", target: "/release/hello", host: "whatever.example:9",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "release", Version: "1", Path: "/hello", Stage: "release", Template: "/hello"}},
		{name: "host picks service, port ignored", svcs: multi, method: "GET", target: "/release/items/9", host: "shop.localhost:8080",
			wantStatus: 200, want: &echoed{Function: "items", Qualifier: "live", Version: "1", Path: "/items/9", PathParameters: map[string]string{"id": "9"}, Stage: "release", Template: "/items/{id}"}},
		{name: "host is case-insensitive", svcs: multi, method: "GET", target: "/release/hello", host: "a.LOCALHOST",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "release", Version: "1", Path: "/hello", Stage: "release", Template: "/hello"}},
		{name: "unknown host with several services", svcs: multi, method: "GET", target: "/release/hello", host: "c.localhost",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no service match host[c.localhost]"}`},
		{name: "exact path beats template", svcs: multi, method: "GET", target: "/release/items/top", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "top", Qualifier: "live", Version: "1", Path: "/items/top", Stage: "release", Template: "=/items/top"}},
		{name: "plain path takes what templates leave", svcs: multi, method: "GET", target: "/release/items/9/x", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "items-list", Qualifier: "live", Version: "1", Path: "/items/9/x", Stage: "release", Template: "/items"}},
		{name: "same path other method", svcs: multi, method: "POST", target: "/release/items/9", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "items-write", Qualifier: "live", Version: "1", Path: "/items/9", PathParameters: map[string]string{"id": "9"}, Stage: "release", Template: "/items/{id}"}},
		{name: "method beats ANY", svcs: multi, method: "DELETE", target: "/release/cart", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "cart-delete", Qualifier: "live", Version: "1", Path: "/cart", Stage: "release", Template: "/cart"}},
		{name: "ANY takes the rest", svcs: multi, method: "PATCH", target: "/release/cart", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "cart-any", Qualifier: "live", Version: "1", Path: "/cart", Stage: "release", Template: "/cart"}},
		{name: "stage without qualifier serves overrides", svcs: multi, method: "GET", target: "/beta/beta-only", host: "shop.localhost",
			wantStatus: 200, want: &echoed{Function: "beta", Qualifier: "2", Version: "1", Path: "/beta-only", Stage: "beta", Template: "/beta-only"}},
		{name: "api without qualifier in stage", svcs: multi, method: "GET", target: "/beta/items/1", host: "shop.localhost",
			wantStatus: 404, wantBody: `{"errno":404,"error":"There is no api match uri[/items/1]"}`},
		{name: "escaped path param", svcs: grayscale(), method: "GET", target: "/release/users/a%20b",
			wantStatus: 200, want: &echoed{Function: "B", Qualifier: "1", Version: "1", Path: "/users/a b", PathParameters: map[string]string{"id": "a b"}, Stage: "release", Template: "/users/{id}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, &fakeBackend{}, tc.svcs, Options{})
			hdr := map[string]string{}
			if tc.host != "" {
				hdr["Host"] = tc.host
			}
			w := do(g, tc.method, tc.target, nil, hdr)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantBody != "" {
				if got := w.Body.String(); got != tc.wantBody {
					t.Errorf("body = %s, want %s", got, tc.wantBody)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if w.Header().Get(hdrAPIRequestID) == "" {
					t.Errorf("no %s on a routing error", hdrAPIRequestID)
				}
				return
			}
			var got echoed
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if len(got.PathParameters) == 0 {
				got.PathParameters = nil
			}
			if !reflect.DeepEqual(&got, tc.want) {
				t.Errorf("function saw %+v, want %+v", got, *tc.want)
			}
		})
	}
}

func TestSetServicesValidation(t *testing.T) {
	ok := grayscale()
	tests := []struct {
		name    string
		svcs    []Service
		wantMsg string
	}{
		{"empty service name", []Service{{Stages: map[string]string{"release": "release"}}}, "empty service name"},
		{"service name with dot", []Service{{Name: "a.b", Stages: map[string]string{"release": "x"}}}, `service name "a.b" holds '.'`},
		{"duplicate service ignoring case", []Service{ok[0], {Name: "a", Stages: map[string]string{"release": "x"}}}, "declared twice"},
		{"no stages", []Service{{Name: "A"}}, "no stages"},
		{"bad stage name", []Service{{Name: "A", Stages: map[string]string{"re/lease": "x"}}}, `stage name "re/lease"`},
		{"bad method", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x", Method: "FETCH", Function: "B"}}}}, `method "FETCH" is not one of`},
		{"path without slash", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "x", Method: "GET", Function: "B"}}}}, `path "x" must start with /`},
		{"unbalanced braces", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x/{id", Method: "GET", Function: "B"}}}}, `path "/x/{id"`},
		{"no function", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x", Method: "GET"}}}}, "no function"},
		{"override of undeclared stage", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x", Method: "GET", Function: "B", Stages: map[string]string{"relase": "1"}}}}}, `stage "relase", which the service does not declare`},
		{"empty override", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x", Method: "GET", Function: "B", Stages: map[string]string{"release": ""}}}}}, "empty qualifier"},
		{"duplicate path and method", []Service{{Name: "A", Stages: map[string]string{"release": "x"},
			APIs: []API{{Path: "/x", Method: "GET", Function: "B"}, {Path: "/x", Method: "get", Function: "C"}}}}, "GET /x is bound twice"},
		{"api unreachable", []Service{{Name: "A", Stages: map[string]string{"release": ""},
			APIs: []API{{Path: "/x", Method: "GET", Function: "B"}}}}, "has no qualifier in any stage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, &fakeBackend{}, grayscale(), Options{})
			err := g.SetServices(tc.svcs)
			if !errors.Is(err, ErrInvalidService) {
				t.Fatalf("SetServices error = %v, want one wrapping ErrInvalidService", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			// Nothing changed: the old table still answers.
			if w := do(g, "GET", "/release/hello", nil, nil); w.Code != 200 {
				t.Errorf("after a rejected SetServices the old table answers %d", w.Code)
			}
			if !reflect.DeepEqual(g.Services(), grayscale()) {
				t.Errorf("Services changed after a rejected SetServices")
			}
		})
	}
}

func TestServicesIsACopy(t *testing.T) {
	in := grayscale()
	g := newTestGateway(t, &fakeBackend{}, in, Options{})
	in[0].Stages["release"] = "mutated-input"
	out := g.Services()
	out[0].APIs[1].Stages["release"] = "mutated-output"
	if w := do(g, "GET", "/release/users/1", nil, nil); !strings.Contains(w.Body.String(), `"Qualifier":"1"`) {
		t.Errorf("mutating a returned Services value changed routing: %s", w.Body)
	}
	if w := do(g, "GET", "/release/hello", nil, nil); !strings.Contains(w.Body.String(), `"Qualifier":"release"`) {
		t.Errorf("mutating the SetServices argument changed routing: %s", w.Body)
	}
}

func TestNoServices(t *testing.T) {
	g := New(&fakeBackend{}, Options{})
	defer g.Close()
	if got := g.Services(); got != nil {
		t.Errorf("Services before SetServices = %v, want nil", got)
	}
	w := do(g, "GET", "/release/hello", nil, nil)
	if w.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", w.Code)
	}
}

func TestServiceIDStable(t *testing.T) {
	a, b := serviceID("A"), serviceID("A")
	if a != b || len(a) != len("service-")+8 || !strings.HasPrefix(a, "service-") {
		t.Fatalf("serviceID(A) = %q then %q, want one stable service-xxxxxxxx", a, b)
	}
	if serviceID("B") == a {
		t.Errorf("services A and B share id %s", a)
	}
	for _, c := range a[len("service-"):] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			t.Errorf("id %q holds %q, want lower-case letters and digits", a, c)
		}
	}
}

// TestTargetCarriesStage: the backend learns which stage a request came in on,
// so metrics and logs can be kept per stage.
func TestTargetCarriesStage(t *testing.T) {
	var got []string
	var mu sync.Mutex
	fb := &fakeBackend{InvokeFn: func(ctx context.Context, tg Target, id string, ev []byte) ([]byte, error) {
		mu.Lock()
		got = append(got, tg.Stage+":"+tg.Qualifier)
		mu.Unlock()
		return echo(tg, ev)
	}}
	g := New(fb, Options{})
	if err := g.SetServices([]Service{{Name: "A", Stages: map[string]string{"release": "release", "dev": "$DEFAULT"},
		APIs: []API{{Path: "/hello", Method: "ANY", Function: "B"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/release/hello", "/dev/hello"} {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != 200 {
			t.Fatalf("GET %s = %d %s", p, w.Code, w.Body)
		}
	}
	if strings.Join(got, ",") != "release:release,dev:$DEFAULT" {
		t.Errorf("targets = %v", got)
	}
}

// TestOnlyStages: an API marked OnlyStages answers on its own stages only,
// not on the service's other stages.
func TestOnlyStages(t *testing.T) {
	g := New(&fakeBackend{}, Options{})
	err := g.SetServices([]Service{{Name: "A", Stages: map[string]string{"release": "release", "dev": "$DEFAULT"},
		APIs: []API{{Path: "/hello", Method: "ANY", Function: "B"},
			{Path: "/trig", Method: "ANY", Function: "T", Stages: map[string]string{"release": "$DEFAULT"}, OnlyStages: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/release/trig": 200, "/dev/trig": 404, "/dev/hello": 200} {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
	}
}
