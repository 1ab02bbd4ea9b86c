package api

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/scferr"
)

func invokeReq(fn string, mutate func(r *scf.InvokeRequest)) *scf.InvokeRequest {
	r := scf.NewInvokeRequest()
	r.FunctionName = s(fn)
	if mutate != nil {
		mutate(r)
	}
	return r
}

func TestInvoke(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.Invoke(invokeReq("hello", func(r *scf.InvokeRequest) {
		r.InvocationType, r.Qualifier, r.ClientContext, r.LogType = s("RequestResponse"), s("1"), s(`{"k":"v"}`), s("Tail")
	}))
	must(t, err)
	res := resp.Response.Result
	if *res.RetMsg != `{"version":"1","event":{"k":"v"}}` || *res.ErrMsg != "" || *res.InvokeResult != 0 ||
		*res.MemUsage != 1<<20 || *res.Duration != 1.5 || *res.BillDuration != 2 || *res.FunctionRequestId != "req-1" ||
		*res.Log != "START RequestId:req-1\nhello\nEND RequestId:req-1\n" {
		t.Errorf("Result = %s", resp.ToJsonString())
	}
	got := h.backend.lastInvoke()
	if got.Function != "hello" || got.Namespace != "default" || got.Qualifier != "1" || string(got.Event) != `{"k":"v"}` ||
		!got.LogTail || got.Async || got.RoutingKey != nil {
		t.Errorf("backend got %+v", got)
	}
}

func TestInvokeDefaults(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.Invoke(invokeReq("hello", nil))
	must(t, err)
	if *resp.Response.Result.Log != "" {
		t.Errorf("Log = %q without LogType Tail", *resp.Response.Result.Log)
	}
	got := h.backend.lastInvoke()
	if got.Qualifier != "$DEFAULT" || string(got.Event) != "{}" || got.LogTail {
		t.Errorf("backend got %+v, want qualifier $DEFAULT, event {}, no log", got)
	}

	r := scf.NewInvokeFunctionRequest()
	r.FunctionName, r.Event = s("hello"), s(`[1,2]`)
	fresp, err := h.client.InvokeFunction(r)
	must(t, err)
	got = h.backend.lastInvoke()
	if got.Qualifier != "$DEFAULT" || string(got.Event) != "[1,2]" || *fresp.Response.Result.RetMsg != `{"version":"$LATEST","event":[1,2]}` {
		t.Errorf("InvokeFunction: backend got %+v, RetMsg %s", got, *fresp.Response.Result.RetMsg)
	}
}

func TestInvokeVersionHeader(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		action, body, want string
	}{
		{"Invoke", `{"FunctionName":"hello","Qualifier":"2"}`, "2"},
		{"InvokeFunction", `{"FunctionName":"hello","Qualifier":"release"}`, "1"},
		{"InvokeFunction", `{"FunctionName":"hello","Qualifier":"release","RoutingKey":"{\"User\":\"Bob\"}"}`, "2"},
		{"Invoke", `{"FunctionName":"hello"}`, "$LATEST"},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			resp, data := h.raw(t, tc.action, APIVersion, tc.body)
			if code := rawCode(t, data); code != "" {
				t.Fatalf("error %s", data)
			}
			if got := resp.Header.Get("X-Scf-Version"); got != tc.want {
				t.Errorf("X-Scf-Version = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInvokeRoutingKey(t *testing.T) {
	h := newHarness(t)
	key := `{"userHash":30,"big":12345678901234567890123,"f":1.5,"e":3e1,"neg":-7,"User":"Bob"}`
	_, err := h.client.Invoke(invokeReq("hello", func(r *scf.InvokeRequest) { r.RoutingKey = s(key) }))
	must(t, err)
	want := map[string]string{"userHash": "30", "big": "12345678901234567890123", "f": "1.5", "e": "30", "neg": "-7", "User": "Bob"}
	if got := h.backend.lastInvoke().RoutingKey; !maps.Equal(got, want) {
		t.Errorf("RoutingKey reached the backend as %v, want %v", got, want)
	}

	errs := []struct {
		name, key, msgHas string
	}{
		{"boolean value", `{"User":true}`, `key "User" is a JSON boolean`},
		{"null value", `{"User":null}`, `key "User" is a JSON null`},
		{"object value", `{"User":{"a":1}}`, `key "User" is a JSON object`},
		{"array", `["User"]`, "not a JSON array"},
		{"not json", `User=Bob`, "not valid JSON"},
		{"trailing data", `{"User":"Bob"} x`, "after the JSON object"},
		{"too long", `{"User":"` + strings.Repeat("x", 1100) + `"}`, "the limit is 1024"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Invoke(invokeReq("hello", func(r *scf.InvokeRequest) { r.RoutingKey = s(tc.key) }))
			wantCode(t, err, "InvalidParameterValue.RoutingKey")
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
}

func TestInvokeParameterErrors(t *testing.T) {
	h := newHarness(t)
	big := `{"a":"` + strings.Repeat("x", maxEventBytes) + `"}`
	tests := []struct {
		name   string
		mutate func(r *scf.InvokeRequest)
		want   string
		msgHas string
	}{
		{"event not JSON", func(r *scf.InvokeRequest) { r.ClientContext = s("{oops") }, "InvalidParameterValue.ClientContext", "ClientContext"},
		{"event over 6 MB", func(r *scf.InvokeRequest) { r.ClientContext = s(big) }, "InvalidParameter.RequestTooLarge", "6 MB"},
		{"async event over 128 KB", func(r *scf.InvokeRequest) {
			r.InvocationType, r.ClientContext = s("Event"), s(`{"a":"`+strings.Repeat("x", 128<<10)+`"}`)
		}, "InvalidParameter.RequestTooLarge", "128 KB"},
		{"async to a missing alias", func(r *scf.InvokeRequest) { r.InvocationType, r.Qualifier = s("Event"), s("canary") }, "ResourceNotFound.Qualifier", "canary"},
		{"async to a web function", func(r *scf.InvokeRequest) { r.InvocationType, r.FunctionName = s("Event"), s("web") }, "InvalidParameterValue.FunctionType", "web function"},
		{"unknown invocation type", func(r *scf.InvokeRequest) { r.InvocationType = s("Sync") }, "InvalidParameterValue.InvokeType", "Sync"},
		{"unknown log type", func(r *scf.InvokeRequest) { r.LogType = s("All") }, "InvalidParameterValue.LogType", "All"},
		{"version missing", func(r *scf.InvokeRequest) { r.Qualifier = s("9") }, "ResourceNotFound.Qualifier", "9"},
		{"alias missing", func(r *scf.InvokeRequest) { r.Qualifier = s("canary") }, "ResourceNotFound.Qualifier", "canary"},
		{"invalid qualifier", func(r *scf.InvokeRequest) { r.Qualifier = s("$X") }, "InvalidParameterValue.Qualifier", "$X"},
		{"function missing", func(r *scf.InvokeRequest) { r.FunctionName = s("nope") }, "ResourceNotFound.Function", "nope"},
		{"web function", func(r *scf.InvokeRequest) { r.FunctionName = s("web") }, "InvalidParameterValue.FunctionType", "web function"},
		{"no function name", func(r *scf.InvokeRequest) { r.FunctionName = nil }, "MissingParameter", "FunctionName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Invoke(invokeReq("hello", tc.mutate))
			wantCode(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("message %v does not contain %q", err, tc.msgHas)
			}
		})
	}
	t.Run("InvokeFunction names Event", func(t *testing.T) {
		r := scf.NewInvokeFunctionRequest()
		r.FunctionName, r.Event = s("hello"), s("nope")
		_, err := h.client.InvokeFunction(r)
		wantCode(t, err, "InvalidParameterValue.ClientContext")
		if err != nil && !strings.Contains(err.Error(), "Event must be") {
			t.Errorf("message %v does not name Event", err)
		}
	})
}

func TestInvokeFunctionFailures(t *testing.T) {
	tests := []struct {
		name       string
		res        InvokeResult
		err        error
		wantResult int64
		wantStatus string
		wantHeader string
	}{
		{"user error", InvokeResult{RequestID: "r-430", Version: "2", Duration: 3 * time.Millisecond,
			FuncErr: scferr.UserError("ValueError", "bad input", "line 3")}, nil, 1, `"statusCode":430`, "2"},
		{"timeout", InvokeResult{RequestID: "r-433", Version: "1", Duration: 3 * time.Second,
			FuncErr: scferr.Timeout(3)}, nil, -1, `"statusCode":433`, "1"},
		{"container init failed before running", InvokeResult{},
			scferr.New(scferr.ErrContainerInit, "container init error: bootstrap exited", errors.New("exit status 1")), -1, `"statusCode":445`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.backend.run = func(InvokeRequest, string) (InvokeResult, error) { return tc.res, tc.err }
			resp, data := h.raw(t, "Invoke", APIVersion, `{"FunctionName":"hello"}`)
			if code := rawCode(t, data); code != "" {
				t.Fatalf("a function failure became an API error: %s", data)
			}
			if got := resp.Header.Get("X-Scf-Version"); got != tc.wantHeader {
				t.Errorf("X-Scf-Version = %q, want %q", got, tc.wantHeader)
			}
			var out struct{ Response scf.InvokeResponseParams }
			if err := json.Unmarshal(data, &out); err != nil {
				t.Fatal(err)
			}
			r := out.Response.Result
			if *r.InvokeResult != tc.wantResult || !strings.Contains(*r.RetMsg, tc.wantStatus) || *r.ErrMsg != *r.RetMsg || *r.FunctionRequestId == "" {
				t.Errorf("Result = %s, want InvokeResult %d and %s in RetMsg and ErrMsg", data, tc.wantResult, tc.wantStatus)
			}
			if tc.err == nil && !strings.Contains(*r.RetMsg, tc.res.RequestID) {
				t.Errorf("RetMsg %s lacks the request id", *r.RetMsg)
			}
		})
	}
	t.Run("unexpected error is InternalError", func(t *testing.T) {
		h := newHarness(t)
		h.backend.run = func(InvokeRequest, string) (InvokeResult, error) {
			return InvokeResult{}, errors.New("docker: no such host")
		}
		_, err := h.client.Invoke(invokeReq("hello", nil))
		wantCode(t, err, "InternalError")
	})
}

func TestInvokeLogTail(t *testing.T) {
	h := newHarness(t)
	log := strings.Repeat("é", 3000) // 6000 bytes of 2-byte characters
	h.backend.run = func(InvokeRequest, string) (InvokeResult, error) {
		return InvokeResult{RequestID: "r", Version: "$LATEST", Payload: []byte(`"ok"`), Log: log, Duration: time.Microsecond}, nil
	}
	resp, err := h.client.Invoke(invokeReq("hello", func(r *scf.InvokeRequest) { r.LogType = s("Tail") }))
	must(t, err)
	got := *resp.Response.Result.Log
	if len(got) > 4096 || len(got) < 4094 || !strings.HasSuffix(log, got) || !utf8.ValidString(got) {
		t.Errorf("Log tail is %d bytes (valid UTF-8 %v), want the last 4 KB of the log", len(got), utf8.ValidString(got))
	}
	if *resp.Response.Result.BillDuration != 1 || *resp.Response.Result.RetMsg != `"ok"` {
		t.Errorf("BillDuration %d RetMsg %s, want 1 and \"ok\"", *resp.Response.Result.BillDuration, *resp.Response.Result.RetMsg)
	}
}
