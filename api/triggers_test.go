package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/gateway"
)

// newTriggerHarness is a harness whose server knows a gateway URL and one
// service from emulator.yaml, "A".
func newTriggerHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, Options{
		GatewayURL:   "http://127.0.0.1:8080",
		ServiceNames: func() []string { return []string{"A"} },
	})
}

func triggerReq(fn, name, desc string, mutate func(r *scf.CreateTriggerRequest)) *scf.CreateTriggerRequest {
	r := scf.NewCreateTriggerRequest()
	r.FunctionName, r.TriggerName, r.Type = s(fn), s(name), s("apigw")
	if desc != "" {
		r.TriggerDesc = s(desc)
	}
	if mutate != nil {
		mutate(r)
	}
	return r
}

// descOf decodes a returned TriggerDesc.
func descOf(t *testing.T, desc *string) map[string]any {
	t.Helper()
	var m map[string]any
	if desc == nil || json.Unmarshal([]byte(*desc), &m) != nil {
		t.Fatalf("TriggerDesc %v is not a JSON object", desc)
	}
	return m
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

func TestCreateTriggerDefaults(t *testing.T) {
	h := newTriggerHarness(t)
	resp, err := h.client.CreateTrigger(triggerReq("hello", "hello-api", "", nil))
	must(t, err)
	info := resp.Response.TriggerInfo
	if *info.Qualifier != "$DEFAULT" || *info.Enable != 1 || *info.Type != "apigw" || *info.TriggerName != "hello-api" || *info.AvailableStatus != "Available" {
		t.Errorf("TriggerInfo = %s", resp.ToJsonString())
	}
	d := descOf(t, info.TriggerDesc)
	want := map[string]any{
		"api.requestConfig.method": "ANY",
		"api.requestConfig.path":   "/hello",
		"api.isIntegratedResponse": "TRUE",
		"service.serviceName":      "SCF_API_SERVICE",
		"service.serviceId":        serviceID("SCF_API_SERVICE"),
		"service.subDomain":        "http://127.0.0.1:8080",
		"release.environmentName":  "release",
		"url":                      "http://127.0.0.1:8080/release/hello",
	}
	for path, v := range want {
		if got := field(d, strings.Split(path, ".")...); got != v {
			t.Errorf("TriggerDesc %s = %v, want %v (%s)", path, got, v, *info.TriggerDesc)
		}
	}
	got := h.backend.triggers["hello"][0]
	if got.Service != "SCF_API_SERVICE" || got.Stage != "release" || got.Path != "/hello" || got.Method != "ANY" || !got.Enabled || got.PassThrough {
		t.Errorf("backend got %+v", got)
	}
}

func TestCreateTriggerFromDesc(t *testing.T) {
	h := newTriggerHarness(t)
	desc := `{"api":{"authRequired":"FALSE","requestConfig":{"method":"get","path":"/users/{id}"},"isIntegratedResponse":"TRUE"},` +
		`"service":{"serviceId":"` + serviceID("A") + `"},"release":{"environmentName":"prepub"}}`
	resp, err := h.client.CreateTrigger(triggerReq("hello", "users", desc, func(r *scf.CreateTriggerRequest) {
		r.Qualifier, r.Enable, r.Description = s("release"), s("CLOSE"), s("users api")
	}))
	must(t, err)
	info := resp.Response.TriggerInfo
	d := descOf(t, info.TriggerDesc)
	if field(d, "service", "serviceName") != "A" || field(d, "api", "authRequired") != "FALSE" ||
		field(d, "url") != "http://127.0.0.1:8080/prepub/users/{id}" || field(d, "api", "requestConfig", "method") != "GET" {
		t.Errorf("TriggerDesc = %s", *info.TriggerDesc)
	}
	if *info.Enable != 0 || *info.Qualifier != "release" || *info.Description != "users api" {
		t.Errorf("TriggerInfo = %s", resp.ToJsonString())
	}
	got := h.backend.triggers["hello"][0]
	if got.Service != "A" || got.Stage != "prepub" || got.Method != "GET" || got.PassThrough || got.Enabled || got.Qualifier != "release" {
		t.Errorf("backend got %+v", got)
	}
	// A service a trigger created can be named by id afterwards.
	_, err = h.client.CreateTrigger(triggerReq("hello", "second", `{"service":{"serviceName":"shop"}}`, nil))
	must(t, err)
	_, err = h.client.CreateTrigger(triggerReq("web", "third", `{"service":{"serviceId":"`+serviceID("shop")+`"},"api":{"requestConfig":{"path":"/w"}}}`, nil))
	must(t, err)
	if got := h.backend.triggers["web"][0]; got.Service != "shop" {
		t.Errorf("service resolved from id = %q, want shop", got.Service)
	}
}

func TestCreateTriggerErrors(t *testing.T) {
	h := newTriggerHarness(t)
	_, err := h.client.CreateTrigger(triggerReq("hello", "taken", "", nil))
	must(t, err)
	tests := []struct {
		name   string
		req    *scf.CreateTriggerRequest
		want   string
		msgHas string
	}{
		{"cls", triggerReq("hello", "t", "", func(r *scf.CreateTriggerRequest) { r.Type = s("cls") }), "UnsupportedOperation.Trigger", "cls"},
		{"timer bad cron", triggerReq("hello", "t", "* * * * * *", func(r *scf.CreateTriggerRequest) { r.Type = s("timer") }), "InvalidParameterValue.TriggerDesc", "has 7"},
		{"cos without bucket", triggerReq("hello", "t", "", func(r *scf.CreateTriggerRequest) { r.Type = s("cos") }), "InvalidParameterValue.TriggerDesc", "bucket"},
		{"missing params", triggerReq("hello", "", "", func(r *scf.CreateTriggerRequest) { r.Type = nil }), "MissingParameter", "TriggerName, Type"},
		{"bad name", triggerReq("hello", "-x", "", nil), "InvalidParameterValue.TriggerName", "-x"},
		{"bad enable", triggerReq("hello", "t", "", func(r *scf.CreateTriggerRequest) { r.Enable = s("ON") }), "InvalidParameterValue.Enable", "ON"},
		{"desc not json", triggerReq("hello", "t", "{api", nil), "InvalidParameterValue.TriggerDesc", "JSON object"},
		{"desc an array", triggerReq("hello", "t", "[1]", nil), "InvalidParameterValue.TriggerDesc", "array"},
		{"api not an object", triggerReq("hello", "t", `{"api":"x"}`, nil), "InvalidParameterValue.TriggerDesc", "api must be an object"},
		{"method not a string", triggerReq("hello", "t", `{"api":{"requestConfig":{"method":1}}}`, nil), "InvalidParameterValue.TriggerDesc", "api.requestConfig.method"},
		{"integrated response", triggerReq("hello", "t", `{"api":{"isIntegratedResponse":"maybe"}}`, nil), "InvalidParameterValue.TriggerDesc", "isIntegratedResponse"},
		{"unknown service id", triggerReq("hello", "t", `{"service":{"serviceId":"service-zzzzzzzz"}}`, nil), "InvalidParameterValue.TriggerDesc", "service-zzzzzzzz"},
		{"id of another service", triggerReq("hello", "t", `{"service":{"serviceName":"A","serviceId":"service-zzzzzzzz"}}`, nil), "InvalidParameterValue.TriggerDesc", "not the id"},
		{"name taken", triggerReq("hello", "taken", `{"api":{"requestConfig":{"path":"/other"}}}`, nil), "ResourceInUse.Trigger", "taken"},
		{"same route", triggerReq("web", "t", `{"api":{"requestConfig":{"path":"/hello"}}}`, nil), "ResourceInUse.Trigger", "taken"},
		{"missing function", triggerReq("nope", "t", "", nil), "ResourceNotFound.Function", "nope"},
		{"missing alias", triggerReq("hello", "t", "", func(r *scf.CreateTriggerRequest) { r.Qualifier = s("canary") }), "ResourceNotFound.Qualifier", "canary"},
		{"missing version", triggerReq("hello", "t", "", func(r *scf.CreateTriggerRequest) { r.Qualifier = s("7") }), "ResourceNotFound.Qualifier", "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.CreateTrigger(tc.req)
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
}

func TestListTriggers(t *testing.T) {
	h := newTriggerHarness(t)
	list := func(mutate func(r *scf.ListTriggersRequest)) *scf.ListTriggersResponseParams {
		t.Helper()
		r := scf.NewListTriggersRequest()
		r.FunctionName = s("hello")
		if mutate != nil {
			mutate(r)
		}
		resp, err := h.client.ListTriggers(r)
		must(t, err)
		return resp.Response
	}
	_, data := h.raw(t, "ListTriggers", APIVersion, `{"FunctionName":"hello"}`)
	if !strings.Contains(string(data), `"Triggers":[]`) || !strings.Contains(string(data), `"TotalCount":0`) {
		t.Errorf("empty list = %s, want Triggers [] and TotalCount 0", data)
	}
	for i, name := range []string{"a", "b", "c"} {
		q := "$DEFAULT"
		if i == 1 {
			q = "release"
		}
		_, err := h.client.CreateTrigger(triggerReq("hello", name, `{"api":{"requestConfig":{"path":"/`+name+`"}}}`, func(r *scf.CreateTriggerRequest) {
			r.Qualifier, r.Description = s(q), s("d-"+name)
		}))
		must(t, err)
	}
	names := func(r *scf.ListTriggersResponseParams) string {
		var out []string
		for _, t := range r.Triggers {
			out = append(out, *t.TriggerName)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name   string
		mutate func(r *scf.ListTriggersRequest)
		want   string
		total  uint64
	}{
		{"default newest first", nil, "c,b,a", 3},
		{"ascending by add time", func(r *scf.ListTriggersRequest) { r.Order, r.OrderBy = s("ASC"), s("add_time") }, "a,b,c", 3},
		{"paged", func(r *scf.ListTriggersRequest) { r.Offset, r.Limit = common.Uint64Ptr(1), common.Uint64Ptr(1) }, "b", 3},
		{"by qualifier", func(r *scf.ListTriggersRequest) {
			r.Filters = []*scf.Filter{{Name: s("Qualifier"), Values: []*string{s("$DEFAULT")}}}
		}, "c,a", 2},
		{"by name and description", func(r *scf.ListTriggersRequest) {
			r.Filters = []*scf.Filter{{Name: s("TriggerName"), Values: []*string{s("a"), s("b")}}, {Name: s("Description"), Values: []*string{s("d-b")}}}
		}, "b", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := list(tc.mutate)
			if got := names(r); got != tc.want || *r.TotalCount != tc.total {
				t.Errorf("triggers %s total %d, want %s total %d", got, *r.TotalCount, tc.want, tc.total)
			}
		})
	}
	r := list(nil)
	if *r.Triggers[0].Enable != 1 || *r.Triggers[0].Type != "apigw" || field(descOf(t, r.Triggers[0].TriggerDesc), "url") != "http://127.0.0.1:8080/release/c" {
		t.Errorf("TriggerInfo = %+v", r.Triggers[0])
	}
	gr := scf.NewGetFunctionRequest()
	gr.FunctionName = s("hello")
	gf, err := h.client.GetFunction(gr)
	must(t, err)
	if len(gf.Response.Triggers) != 3 {
		t.Errorf("GetFunction lists %d triggers, want 3", len(gf.Response.Triggers))
	}
	for _, tc := range []struct{ body, code string }{
		{`{"FunctionName":"hello","Filters":[{"Name":"Type","Values":["apigw"]}]}`, "InvalidParameterValue.Filters"},
		{`{"FunctionName":"hello","OrderBy":"name"}`, "InvalidParameterValue.OrderBy"},
		{`{"FunctionName":"hello","Order":"UP"}`, "InvalidParameterValue.Order"},
		{`{"FunctionName":"nope"}`, "ResourceNotFound.Function"},
	} {
		if _, data := h.raw(t, "ListTriggers", APIVersion, tc.body); rawCode(t, data) != tc.code {
			t.Errorf("%s: answer %s, want %s", tc.body, data, tc.code)
		}
	}
}

func TestDeleteTrigger(t *testing.T) {
	h := newTriggerHarness(t)
	_, err := h.client.CreateTrigger(triggerReq("hello", "api", "", func(r *scf.CreateTriggerRequest) { r.Qualifier = s("release") }))
	must(t, err)
	del := func(name, typ, q string) error {
		r := scf.NewDeleteTriggerRequest()
		r.FunctionName, r.TriggerName, r.Type = s("hello"), s(name), s(typ)
		if q != "" {
			r.Qualifier = s(q)
		}
		_, err := h.client.DeleteTrigger(r)
		return err
	}
	wantCode(t, del("nope", "apigw", ""), "ResourceNotFound.Trigger")
	wantCode(t, del("api", "timer", ""), "ResourceNotFound.Trigger")
	wantCode(t, del("api", "apigw", "$DEFAULT"), "ResourceNotFound.Trigger")
	wantCode(t, del("", "apigw", ""), "MissingParameter")
	must(t, del("api", "apigw", "release"))
	if len(h.backend.triggers["hello"]) != 0 {
		t.Errorf("trigger not deleted: %v", h.backend.triggers["hello"])
	}
	wantCode(t, del("api", "apigw", ""), "ResourceNotFound.Trigger")
}

// TestServiceIDMatchesGateway checks that trigger descriptions carry the
// serviceId the gateway puts into its events (gateway/table.go derives it;
// this package repeats the derivation).
func TestServiceIDMatchesGateway(t *testing.T) {
	for _, name := range []string{"A", "SCF_API_SERVICE", "shop-2"} {
		t.Run(name, func(t *testing.T) {
			be := &eventCatcher{}
			gw := gateway.New(be, gateway.Options{})
			err := gw.SetServices([]gateway.Service{{
				Name: name, Stages: map[string]string{"release": "$DEFAULT"},
				APIs: []gateway.API{{Path: "/x", Method: "ANY", Function: "f"}},
			}})
			must(t, err)
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest("GET", "/release/x", nil))
			var ev struct {
				RequestContext struct {
					ServiceID string `json:"serviceId"`
				} `json:"requestContext"`
			}
			if err := json.Unmarshal(be.event, &ev); err != nil {
				t.Fatalf("no event reached the function (status %d): %v", rec.Code, err)
			}
			if got := serviceID(name); got != ev.RequestContext.ServiceID {
				t.Errorf("serviceID(%q) = %s, the gateway says %s", name, got, ev.RequestContext.ServiceID)
			}
		})
	}
}

// eventCatcher is a gateway.Backend that keeps the event it is given.
type eventCatcher struct{ event []byte }

func (e *eventCatcher) Resolve(_ context.Context, function, qualifier string, _ http.Header) (gateway.Target, error) {
	return gateway.Target{Function: function, Qualifier: qualifier, Version: "1", Route: "primary", Type: gateway.TypeEvent}, nil
}

func (e *eventCatcher) Invoke(_ context.Context, _ gateway.Target, _ string, event []byte) ([]byte, error) {
	e.event = event
	return []byte(`{"statusCode":200,"body":"ok"}`), nil
}

func (e *eventCatcher) Serve(context.Context, gateway.Target, string, func(context.Context, string) error) error {
	return nil
}

// TestCreateTriggerMarkedPath: an exact (=) or prefix (^~) path keeps its
// mark in requestConfig.path; the url is where the API answers.
func TestCreateTriggerMarkedPath(t *testing.T) {
	for _, tc := range []struct{ path, url string }{
		{"=/exact", "http://127.0.0.1:8080/release/exact"},
		{"^~/static", "http://127.0.0.1:8080/release/static"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h := newTriggerHarness(t)
			desc := `{"api":{"requestConfig":{"method":"GET","path":"` + tc.path + `"}}}`
			resp, err := h.client.CreateTrigger(triggerReq("hello", "marked", desc, nil))
			must(t, err)
			d := descOf(t, resp.Response.TriggerInfo.TriggerDesc)
			if got := field(d, "api", "requestConfig", "path"); got != tc.path {
				t.Errorf("requestConfig.path = %v, want %s", got, tc.path)
			}
			if got := field(d, "url"); got != tc.url {
				t.Errorf("url = %v, want %s", got, tc.url)
			}
		})
	}
}

// TestTriggerURLNamesItsService: where the gateway tells services apart by
// Host, a trigger's service.subDomain and url are its service's own address
// (Options.ServiceURL), the one that reaches it; a bare gateway URL would
// answer 404 "no service match host".
func TestTriggerURLNamesItsService(t *testing.T) {
	h := newHarnessWith(t, Options{
		GatewayURL:   "http://127.0.0.1:8080",
		ServiceNames: func() []string { return []string{"A"} },
		ServiceURL: func(service string) string {
			return "http://" + strings.ToLower(service) + ".localhost:8080"
		},
	})
	resp, err := h.client.CreateTrigger(triggerReq("hello", "hello-api", `{"api":{"requestConfig":{"path":"=/hi"}}}`, nil))
	must(t, err)
	d := descOf(t, resp.Response.TriggerInfo.TriggerDesc)
	if got := field(d, "service", "subDomain"); got != "http://scf_api_service.localhost:8080" {
		t.Errorf("service.subDomain = %v, want the service's own host", got)
	}
	if got := field(d, "url"); got != "http://scf_api_service.localhost:8080/release/hi" {
		t.Errorf("url = %v, want the service's own host", got)
	}
	list := scf.NewListTriggersRequest()
	list.FunctionName = s("hello")
	lr, err := h.client.ListTriggers(list)
	must(t, err)
	if len(lr.Response.Triggers) != 1 {
		t.Fatalf("ListTriggers = %s", lr.ToJsonString())
	}
	if got := field(descOf(t, lr.Response.Triggers[0].TriggerDesc), "url"); got != "http://scf_api_service.localhost:8080/release/hi" {
		t.Errorf("ListTriggers url = %v, want the service's own host", got)
	}
}
