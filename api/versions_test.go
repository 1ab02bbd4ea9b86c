package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func TestPublishVersion(t *testing.T) {
	h := newHarness(t)
	r := scf.NewPublishVersionRequest()
	r.FunctionName = s("hello")
	r.Description = s("third")
	resp, err := h.client.PublishVersion(r)
	must(t, err)
	got := resp.Response
	if *got.FunctionVersion != "3" || *got.Description != "third" || *got.CodeSize != 2048 || *got.MemorySize != 128 ||
		*got.Handler != "index.main_handler" || *got.Timeout != 3 || *got.Runtime != "Python3.9" || *got.Namespace != "default" {
		t.Errorf("response = %s", resp.ToJsonString())
	}
	if got.RequestId == nil || *got.RequestId == "" {
		t.Error("no RequestId")
	}
}

func TestPublishVersionErrors(t *testing.T) {
	tests := []struct {
		name     string
		function string
		fail     error
		want     string
	}{
		{"function missing", "nope", nil, "ResourceNotFound.Function"},
		{"version limit", "hello", fmt.Errorf("hello has 1000 versions: %w", registry.ErrVersionLimit), "LimitExceeded.FunctionVersions"},
		{"build failed", "hello", fmt.Errorf("make: exit status 2: %w", registry.ErrBuildFailed), "FailedOperation.PublishVersion"},
		{"unexpected", "hello", fmt.Errorf("disk full"), "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.fail != nil {
				h.backend.fail["Publish"] = tc.fail
			}
			r := scf.NewPublishVersionRequest()
			r.FunctionName = s(tc.function)
			_, err := h.client.PublishVersion(r)
			wantCode(t, err, tc.want)
			if tc.fail != nil && !strings.Contains(err.Error(), tc.fail.Error()) {
				t.Errorf("message of %v does not carry %q", err, tc.fail)
			}
		})
	}
}

func TestListVersionByFunction(t *testing.T) {
	h := newHarness(t)
	publish(t, h) // version 3
	tests := []struct {
		name    string
		offset  *uint64
		limit   *uint64
		order   *string
		orderBy *string
		want    []string
	}{
		{"default: $LATEST then newest first", nil, nil, nil, nil, []string{"$LATEST", "3", "2", "1"}},
		{"ascending by AddTime", nil, nil, s("ASC"), s("AddTime"), []string{"$LATEST", "1", "2", "3"}},
		{"descending by ModTime", nil, nil, s("DESC"), s("ModTime"), []string{"$LATEST", "3", "2", "1"}},
		{"offset and limit", common.Uint64Ptr(1), common.Uint64Ptr(2), nil, nil, []string{"3", "2"}},
		{"offset past the end", common.Uint64Ptr(9), nil, nil, nil, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scf.NewListVersionByFunctionRequest()
			r.FunctionName, r.Offset, r.Limit, r.Order, r.OrderBy = s("hello"), tc.offset, tc.limit, tc.order, tc.orderBy
			resp, err := h.client.ListVersionByFunction(r)
			must(t, err)
			got := common.StringValues(resp.Response.FunctionVersion)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("FunctionVersion = %v, want %v", got, tc.want)
			}
			if len(resp.Response.Versions) != len(tc.want) {
				t.Fatalf("%d Versions, want %d", len(resp.Response.Versions), len(tc.want))
			}
			for i, v := range resp.Response.Versions {
				if *v.Version != tc.want[i] || *v.Status != "Active" {
					t.Errorf("Versions[%d] = %s/%s, want %s/Active", i, *v.Version, *v.Status, tc.want[i])
				}
			}
			if *resp.Response.TotalCount != 4 {
				t.Errorf("TotalCount = %d, want 4", *resp.Response.TotalCount)
			}
		})
	}
	t.Run("version fields", func(t *testing.T) {
		resp, err := h.client.ListVersionByFunction(listVersions("hello", nil, nil))
		must(t, err)
		v1 := resp.Response.Versions[3]
		at := t0.Add(time.Hour).Format("2006-01-02 15:04:05")
		if *v1.Version != "1" || *v1.Description != "first" || *v1.AddTime != at || *v1.ModTime != at {
			t.Errorf("version 1 = %+v, want first/%s", v1, at)
		}
		latest := resp.Response.Versions[0]
		if *latest.AddTime != "2026-01-02 03:04:05" || *latest.ModTime != "2026-01-02 03:05:05" {
			t.Errorf("$LATEST times = %s %s", *latest.AddTime, *latest.ModTime)
		}
	})
	t.Run("empty page is [] in raw JSON", func(t *testing.T) {
		_, data := h.raw(t, "ListVersionByFunction", APIVersion, `{"FunctionName":"hello","Offset":9}`)
		for _, want := range []string{`"FunctionVersion":[]`, `"Versions":[]`, `"TotalCount":4`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("answer %s lacks %s", data, want)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := h.client.ListVersionByFunction(listVersions("nope", nil, nil))
		wantCode(t, err, "ResourceNotFound.Function")
		_, err = h.client.ListVersionByFunction(listVersions("hello", s("UP"), nil))
		wantCode(t, err, "InvalidParameterValue.Order")
		_, err = h.client.ListVersionByFunction(listVersions("hello", nil, s("Name")))
		wantCode(t, err, "InvalidParameterValue.OrderBy")
		_, err = h.client.ListVersionByFunction(scf.NewListVersionByFunctionRequest())
		wantCode(t, err, "MissingParameter")
	})
}

func TestDeleteFunctionVersion(t *testing.T) {
	h := newHarness(t)
	del := func(fn, q string) error {
		r := scf.NewDeleteFunctionVersionRequest()
		r.FunctionName, r.Qualifier = s(fn), s(q)
		_, err := h.client.DeleteFunctionVersion(r)
		return err
	}
	wantCode(t, del("hello", "2"), "UnsupportedOperation.AliasBind") // release routes 30% to 2
	wantCode(t, del("hello", "9"), "ResourceNotFound.Qualifier")
	wantCode(t, del("hello", "$LATEST"), "InvalidParameterValue.Qualifier")
	wantCode(t, del("nope", "1"), "ResourceNotFound.Function")
	wantCode(t, del("hello", ""), "MissingParameter")

	publish(t, h) // version 3, unused
	must(t, del("hello", "3"))
	if _, err := h.backend.Version("hello", "3"); err == nil {
		t.Error("version 3 still exists after DeleteFunctionVersion")
	}
}

func publish(t *testing.T, h *harness) string {
	t.Helper()
	r := scf.NewPublishVersionRequest()
	r.FunctionName = s("hello")
	resp, err := h.client.PublishVersion(r)
	must(t, err)
	return *resp.Response.FunctionVersion
}

func listVersions(fn string, order, orderBy *string) *scf.ListVersionByFunctionRequest {
	r := scf.NewListVersionByFunctionRequest()
	r.FunctionName, r.Order, r.OrderBy = s(fn), order, orderBy
	return r
}
