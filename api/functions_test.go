package api

import (
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func getFunction(h *harness, fn string, qualifier *string) (*scf.GetFunctionResponseParams, error) {
	r := scf.NewGetFunctionRequest()
	r.FunctionName, r.Qualifier = s(fn), qualifier
	resp, err := h.client.GetFunction(r)
	if err != nil {
		return nil, err
	}
	return resp.Response, nil
}

func TestGetFunction(t *testing.T) {
	h := newHarness(t)
	got, err := getFunction(h, "hello", nil)
	must(t, err)
	checks := []struct {
		field, got, want string
	}{
		{"FunctionName", *got.FunctionName, "hello"},
		{"FunctionVersion", *got.FunctionVersion, "$LATEST"},
		{"Qualifier", *got.Qualifier, "$LATEST"},
		{"Namespace", *got.Namespace, "default"},
		{"Runtime", *got.Runtime, "Python3.9"},
		{"Handler", *got.Handler, "index.main_handler"},
		{"Description", *got.Description, "greets"},
		{"Status", *got.Status, "Active"},
		{"AvailableStatus", *got.AvailableStatus, "Available"},
		{"Type", *got.Type, "Event"},
		{"AddTime", *got.AddTime, "2026-01-02 03:04:05"},
		{"ModTime", *got.ModTime, "2026-01-02 03:05:05"},
		{"FunctionId", (*got.FunctionId)[:4], "lam-"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if *got.MemorySize != 128 || *got.Timeout != 3 || *got.CodeSize != 2048 {
		t.Errorf("MemorySize/Timeout/CodeSize = %d/%d/%d", *got.MemorySize, *got.Timeout, *got.CodeSize)
	}
	vars := got.Environment.Variables
	if len(vars) != 2 || *vars[0].Key != "A" || *vars[0].Value != "b" || *vars[1].Key != "GREETING" || *vars[1].Value != "hello" {
		t.Errorf("Environment = %s", common.StringValues([]*string{vars[0].Key}))
	}
}

func TestGetFunctionQualifiers(t *testing.T) {
	h := newHarness(t)
	// Give version 1 a different config so the answer shows which one ran.
	h.backend.functions["hello"].versions[0].Config.MemorySize = 512
	h.backend.functions["hello"].versions[0].ModTime = t0.Add(10 * time.Hour)
	tests := []struct {
		qualifier   string
		wantVersion string
		wantMemory  int64
	}{
		{"1", "1", 512},
		{"2", "2", 128},
		{"release", "1", 512}, // an alias stands for its primary version
		{"$DEFAULT", "$LATEST", 128},
	}
	for _, tc := range tests {
		t.Run(tc.qualifier, func(t *testing.T) {
			got, err := getFunction(h, "hello", s(tc.qualifier))
			must(t, err)
			if *got.FunctionVersion != tc.wantVersion || *got.Qualifier != tc.qualifier || *got.MemorySize != tc.wantMemory {
				t.Errorf("version %s qualifier %s memory %d, want %s %s %d", *got.FunctionVersion, *got.Qualifier, *got.MemorySize,
					tc.wantVersion, tc.qualifier, tc.wantMemory)
			}
		})
	}
	v1, err := getFunction(h, "hello", s("1"))
	must(t, err)
	if *v1.ModTime != "2026-01-02 13:04:05" || *v1.AddTime != "2026-01-02 03:04:05" {
		t.Errorf("version 1 ModTime/AddTime = %s/%s", *v1.ModTime, *v1.AddTime)
	}
}

func TestGetFunctionErrors(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		fn, qualifier, want string
	}{
		{"nope", "", "ResourceNotFound.Function"},
		{"hello", "9", "ResourceNotFound.Version"},
		{"hello", "1.5", "InvalidParameterValue.Qualifier"},
		{"hello", "$FOO", "InvalidParameterValue.Qualifier"},
		{"hello", "canary", "ResourceNotFound.Alias"},
		{"", "", "MissingParameter"},
	} {
		t.Run(tc.fn+"/"+tc.qualifier, func(t *testing.T) {
			var q *string
			if tc.qualifier != "" {
				q = s(tc.qualifier)
			}
			_, err := getFunction(h, tc.fn, q)
			wantCode(t, err, tc.want)
		})
	}
}

func TestGetFunctionWebAndEmptyLists(t *testing.T) {
	h := newHarness(t)
	got, err := getFunction(h, "web", nil)
	must(t, err)
	if *got.Type != "HTTP" {
		t.Errorf("Type = %s, want HTTP", *got.Type)
	}
	_, data := h.raw(t, "GetFunction", APIVersion, `{"FunctionName":"web"}`)
	for _, want := range []string{`"Triggers":[]`, `"Tags":[]`, `"Layers":[]`, `"StatusReasons":[]`, `"Environment":{"Variables":[]}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("answer lacks %s: %s", want, data)
		}
	}
	if strings.Contains(string(data), "null") {
		t.Errorf("answer has a null: %s", data)
	}
}

func TestListFunctions(t *testing.T) {
	h := newHarness(t)
	h.backend.add("alpha", registry.FunctionConfig{Runtime: "Go1", Type: registry.TypeEvent, Description: "first letter"}, t0)
	tests := []struct {
		name   string
		mutate func(r *scf.ListFunctionsRequest)
		want   []string
		total  int64
	}{
		{"default: newest first, ties by name", func(*scf.ListFunctionsRequest) {}, []string{"web", "alpha", "hello"}, 3},
		{"ascending by AddTime", func(r *scf.ListFunctionsRequest) { r.Order = s("ASC") }, []string{"alpha", "hello", "web"}, 3},
		{"by name descending", func(r *scf.ListFunctionsRequest) { r.Orderby, r.Order = s("FunctionName"), s("DESC") }, []string{"web", "hello", "alpha"}, 3},
		{"by name ascending", func(r *scf.ListFunctionsRequest) { r.Orderby, r.Order = s("FunctionName"), s("ASC") }, []string{"alpha", "hello", "web"}, 3},
		{"search key", func(r *scf.ListFunctionsRequest) { r.SearchKey = s("EL") }, []string{"hello"}, 1},
		{"description", func(r *scf.ListFunctionsRequest) { r.Description = s("letter") }, []string{"alpha"}, 1},
		{"offset and limit", func(r *scf.ListFunctionsRequest) {
			r.Offset, r.Limit = common.Int64Ptr(1), common.Int64Ptr(1)
		}, []string{"alpha"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scf.NewListFunctionsRequest()
			tc.mutate(r)
			resp, err := h.client.ListFunctions(r)
			must(t, err)
			var got []string
			for _, f := range resp.Response.Functions {
				got = append(got, *f.FunctionName)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || *resp.Response.TotalCount != tc.total {
				t.Errorf("functions = %v total %d, want %v total %d", got, *resp.Response.TotalCount, tc.want, tc.total)
			}
		})
	}
	t.Run("function fields", func(t *testing.T) {
		r := scf.NewListFunctionsRequest()
		r.SearchKey = s("web")
		resp, err := h.client.ListFunctions(r)
		must(t, err)
		f := resp.Response.Functions[0]
		if *f.Type != "HTTP" || *f.Runtime != "CustomRuntime" || *f.Namespace != "default" || *f.Status != "Active" ||
			*f.AddTime != "2026-01-02 04:04:05" || *f.ModTime != "2026-01-02 04:05:05" || !strings.HasPrefix(*f.FunctionId, "lam-") {
			t.Errorf("web = %s", resp.ToJsonString())
		}
	})
	t.Run("empty list is [] in raw JSON", func(t *testing.T) {
		_, data := h.raw(t, "ListFunctions", APIVersion, `{"SearchKey":"zzz"}`)
		if !strings.Contains(string(data), `"Functions":[]`) || !strings.Contains(string(data), `"TotalCount":0`) {
			t.Errorf("answer = %s", data)
		}
		_, data = h.raw(t, "ListFunctions", APIVersion, `{"SearchKey":"web"}`)
		if !strings.Contains(string(data), `"Tags":[]`) || !strings.Contains(string(data), `"StatusReasons":[]`) {
			t.Errorf("answer = %s", data)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ body, want string }{
			{`{"Offset":-1}`, "InvalidParameterValue.Offset"},
			{`{"Limit":-5}`, "InvalidParameterValue.Limit"},
			{`{"Order":"sideways"}`, "InvalidParameterValue.Order"},
			{`{"Orderby":"Size"}`, "InvalidParameterValue.OrderBy"},
			{`{"Filters":[{"Name":"VpcId","Values":["vpc-1"]}]}`, "InvalidParameterValue.Filters"},
		} {
			if _, data := h.raw(t, "ListFunctions", APIVersion, tc.body); rawCode(t, data) != tc.want {
				t.Errorf("%s: answer %s, want %s", tc.body, data, tc.want)
			}
		}
	})
}
