package api

import (
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

func TestProtocolErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, action, version, body string
		code                        string
		msgHas                      string
	}{
		{"missing action", "", APIVersion, `{}`, "MissingParameter", "X-TC-Action"},
		{"missing version", "GetFunction", "", `{}`, "MissingParameter", "X-TC-Version"},
		{"wrong version", "GetFunction", "2019-01-16", `{}`, "NoSuchVersion", "2019-01-16"},
		{"not an scf action", "DescribeInstances", APIVersion, `{}`, "InvalidAction", "DescribeInstances"},
		{"sdk action not implemented", "CopyFunction", APIVersion, `{}`, "UnsupportedOperation", "action CopyFunction is not supported by the emulator"},
		{"body not json", "GetFunction", APIVersion, `FunctionName=hello`, "InvalidParameter", "not valid JSON"},
		{"body truncated", "GetFunction", APIVersion, `{"FunctionName":"hel`, "InvalidParameter", "truncated"},
		{"body an array", "GetFunction", APIVersion, `[]`, "InvalidParameter", "JSON object"},
		{"trailing data", "GetFunction", APIVersion, `{"FunctionName":"hello"} {}`, "InvalidParameter", "after the JSON object"},
		{"wrong type names field", "GetFunction", APIVersion, `{"FunctionName":5}`, "InvalidParameter", "FunctionName must be a string"},
		{"wrong nested type names path", "CreateAlias", APIVersion,
			`{"FunctionName":"hello","Name":"a","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":[{"Version":"2","Weight":"0.3"}]}}`,
			"InvalidParameter", "parameter RoutingConfig.AdditionalVersionWeights.Weight must be a number"},
		{"uint field negative", "ListVersionByFunction", APIVersion, `{"FunctionName":"hello","Limit":-1}`, "InvalidParameter", "Limit must be a non-negative integer"},
		{"unknown parameter", "GetFunction", APIVersion, `{"FunctionName":"hello","Qualifer":"1"}`, "UnknownParameter", "Qualifer"},
		{"missing FunctionName", "GetFunction", APIVersion, `{}`, "MissingParameter", "FunctionName"},
		{"missing several", "CreateAlias", APIVersion, `{"FunctionName":"hello","Name":""}`, "MissingParameter", "Name, FunctionVersion"},
		{"other namespace", "GetFunction", APIVersion, `{"FunctionName":"hello","Namespace":"prod"}`, "ResourceNotFound.Namespace", `"prod"`},
		{"other namespace on list", "ListFunctions", APIVersion, `{"Namespace":"prod"}`, "ResourceNotFound.Namespace", `"prod"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := h.raw(t, tc.action, tc.version, tc.body)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want exactly application/json", ct)
			}
			e := decodeEnvelope(t, data)
			if e.Response.Error == nil {
				t.Fatalf("no error in %s", data)
			}
			if e.Response.Error.Code != tc.code {
				t.Errorf("code = %s, want %s (%s)", e.Response.Error.Code, tc.code, e.Response.Error.Message)
			}
			if !strings.Contains(e.Response.Error.Message, tc.msgHas) {
				t.Errorf("message %q does not contain %q", e.Response.Error.Message, tc.msgHas)
			}
			if e.Response.RequestId == "" {
				t.Error("no RequestId")
			}
		})
	}
}

func TestSuccessEnvelope(t *testing.T) {
	h := newHarness(t)
	resp, data := h.raw(t, "DeleteAlias", APIVersion, `{"FunctionName":"hello","Name":"release"}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want exactly application/json", ct)
	}
	e := decodeEnvelope(t, data)
	if e.Response.Error != nil || e.Response.RequestId == "" {
		t.Errorf("answer = %s, want only a RequestId", data)
	}
	if !strings.HasPrefix(string(data), `{"Response":{"RequestId":"`) {
		t.Errorf("answer = %s", data)
	}
	_, data2 := h.raw(t, "GetAlias", APIVersion, `{"FunctionName":"hello","Name":"$DEFAULT"}`)
	if e2 := decodeEnvelope(t, data2); e2.Response.RequestId == e.Response.RequestId {
		t.Errorf("two calls share RequestId %s", e.Response.RequestId)
	}
}

func TestHeadersAreCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	req, err := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(`{"FunctionName":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Set the map directly so the client sends the names in lower case.
	req.Header["x-tc-action"] = []string{"GetFunction"}
	req.Header["x-tc-version"] = []string{APIVersion}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e := decodeEnvelope(t, data)
	if e.Response.Error != nil {
		t.Errorf("lower-case headers: %s %s", e.Response.Error.Code, e.Response.Error.Message)
	}
}

func TestOtherMethodsAndPaths(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodPost, "/api/tc"},
		{http.MethodPut, "/"},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			resp, data := rawRequest(t, tc.method, h.url+tc.path, "GetFunction", APIVersion, `{"FunctionName":"hello"}`)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if code := rawCode(t, data); code != "InvalidRequest" {
				t.Errorf("code = %q, want InvalidRequest", code)
			}
		})
	}
}

// TestSDKActionsNotSupported sends every SDK action the emulator lacks and
// expects UnsupportedOperation naming it, and pins the supported list.
func TestSDKActionsNotSupported(t *testing.T) {
	h := newHarness(t)
	srv := New(newFake(), Options{})
	var supported []string
	for _, a := range sdkActions() {
		if _, ok := srv.actions[a]; ok {
			supported = append(supported, a)
			continue
		}
		t.Run(a, func(t *testing.T) {
			_, data := h.raw(t, a, APIVersion, `{}`)
			e := decodeEnvelope(t, data)
			if e.Response.Error == nil || e.Response.Error.Code != "UnsupportedOperation" || !strings.Contains(e.Response.Error.Message, a) {
				t.Errorf("answer = %s, want UnsupportedOperation naming %s", data, a)
			}
		})
	}
	want := []string{
		"CreateAlias", "CreateFunction", "CreateNamespace", "CreateTrigger", "DeleteAlias", "DeleteFunction",
		"DeleteFunctionVersion", "DeleteLayerVersion", "DeleteNamespace", "DeleteProvisionedConcurrencyConfig",
		"DeleteReservedConcurrencyConfig", "DeleteTrigger", "GetAlias", "GetAsyncEventStatus",
		"GetFunction", "GetFunctionEventInvokeConfig", "GetFunctionLogs", "GetLayerVersion",
		"GetProvisionedConcurrencyConfig", "GetRequestStatus", "GetReservedConcurrencyConfig", "Invoke",
		"InvokeFunction", "ListAliases", "ListAsyncEvents", "ListFunctions", "ListLayerVersions", "ListLayers",
		"ListNamespaces", "ListTriggers", "ListVersionByFunction", "PublishLayerVersion", "PublishVersion",
		"PutProvisionedConcurrencyConfig", "PutReservedConcurrencyConfig", "TerminateAsyncEvent", "UpdateAlias", "UpdateFunctionCode", "UpdateFunctionConfiguration",
		"UpdateFunctionEventInvokeConfig", "UpdateTrigger", "UpdateTriggerStatus",
	}
	if !slices.Equal(supported, want) {
		t.Errorf("supported actions = %v\nwant %v", supported, want)
	}
	_, err := h.client.CopyFunction(scf.NewCopyFunctionRequest())
	wantCode(t, err, "UnsupportedOperation")
}

// TestSDKActionList keeps sdkActions equal to the SDK client's actions: each
// action X has methods X and XWithContext.
func TestSDKActionList(t *testing.T) {
	typ := reflect.TypeFor[*scf.Client]()
	var fromSDK []string
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if base, ok := strings.CutSuffix(m.Name, "WithContext"); ok {
			if _, ok := typ.MethodByName(base); ok {
				fromSDK = append(fromSDK, base)
			}
		}
	}
	slices.Sort(fromSDK)
	ours := slices.Sorted(slices.Values(sdkActions()))
	if !slices.Equal(fromSDK, ours) {
		t.Errorf("sdkActions differ from the SDK client\nsdk:  %v\nours: %v", fromSDK, ours)
	}
	for a := range New(newFake(), Options{}).actions {
		if !slices.Contains(ours, a) {
			t.Errorf("implemented action %s is not an SDK action", a)
		}
	}
}

func TestOneLogLinePerCall(t *testing.T) {
	h := newHarness(t)
	r := scf.NewGetFunctionRequest()
	r.FunctionName = s("hello")
	_, err := h.client.GetFunction(r)
	must(t, err)
	r.FunctionName = s("nope")
	_, err = h.client.GetFunction(r)
	wantCode(t, err, "ResourceNotFound.Function")
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), h.logs)
	}
	for i, want := range []string{"function=hello code=OK", "function=nope code=ResourceNotFound.Function"} {
		if !strings.Contains(lines[i], "action=GetFunction") || !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "duration=") {
			t.Errorf("log line %d = %q, want action, %q and duration", i, lines[i], want)
		}
	}
}

func TestPanicInBackendIsInternalError(t *testing.T) {
	h := newHarness(t)
	h.backend.run = func(InvokeRequest, string) (InvokeResult, error) { panic("boom") }
	resp, data := h.raw(t, "Invoke", APIVersion, `{"FunctionName":"hello"}`)
	if resp.StatusCode != http.StatusOK || rawCode(t, data) != "InternalError" || !strings.Contains(string(data), "boom") {
		t.Errorf("status %d answer %s, want 200 InternalError naming the panic", resp.StatusCode, data)
	}
	if !strings.Contains(h.logs.String(), "panic in cloud api action") {
		t.Errorf("panic not logged: %s", h.logs)
	}
}
