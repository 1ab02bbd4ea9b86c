package api

import (
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

func TestInstanceConcurrencyConfig(t *testing.T) {
	h := newHarness(t)
	web := func(r *scf.CreateFunctionRequest) { r.Type = s("HTTP") }
	must(t, func() error { _, err := h.client.CreateFunction(createReq(t, "mcweb", web)); return err }())
	must(t, func() error { _, err := h.client.CreateFunction(createReq(t, "mcev", nil)); return err }())

	maxOf := func(name string) uint64 {
		t.Helper()
		gr := scf.NewGetFunctionRequest()
		gr.FunctionName = s(name)
		resp, err := h.client.GetFunction(gr)
		must(t, err)
		c := resp.Response.InstanceConcurrencyConfig
		if c == nil || c.MaxConcurrency == nil {
			t.Fatalf("GetFunction %s: no InstanceConcurrencyConfig: %s", name, resp.ToJsonString())
		}
		return *c.MaxConcurrency
	}
	if got := maxOf("mcweb"); got != 1 {
		t.Errorf("default MaxConcurrency = %d, want 1", got)
	}
	update := func(name string, n uint64) error {
		r := scf.NewUpdateFunctionConfigurationRequest()
		r.FunctionName = s(name)
		r.InstanceConcurrencyConfig = &scf.InstanceConcurrencyConfig{MaxConcurrency: common.Uint64Ptr(n)}
		_, err := h.client.UpdateFunctionConfiguration(r)
		return err
	}
	must(t, update("mcweb", 4))
	if got := maxOf("mcweb"); got != 4 {
		t.Errorf("MaxConcurrency after update = %d, want 4", got)
	}
	for _, tc := range []struct {
		name, fn string
		n        uint64
		code     string
	}{
		{"zero", "mcweb", 0, codeBadMaxConcurrency},
		{"over 100", "mcweb", 101, codeBadMaxConcurrency},
		{"event function", "mcev", 2, codeBadInstanceConcurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, update(tc.fn, tc.n), tc.code)
		})
	}
	if got := maxOf("mcweb"); got != 4 {
		t.Errorf("MaxConcurrency after rejected updates = %d, want 4 unchanged", got)
	}
	_, err := h.client.CreateFunction(createReq(t, "mcweb2", func(r *scf.CreateFunctionRequest) {
		r.Type = s("HTTP")
		r.InstanceConcurrencyConfig = &scf.InstanceConcurrencyConfig{MaxConcurrency: common.Uint64Ptr(100)}
	}))
	must(t, err)
	if got := maxOf("mcweb2"); got != 100 {
		t.Errorf("MaxConcurrency at create = %d, want 100", got)
	}
}
