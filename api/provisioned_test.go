package api

import (
	"maps"
	"sync"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// fakeCapacity keeps the settings in memory; every provisioned instance
// counts as started.
type fakeCapacity struct {
	mu       sync.Mutex                // guards the maps
	prov     map[string]map[string]int // function -> version -> n
	reserved map[string]int
}

func (f *fakeCapacity) SetProvisioned(function, version string, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prov[function] == nil {
		f.prov[function] = map[string]int{}
	}
	if n == 0 {
		delete(f.prov[function], version)
	} else {
		f.prov[function][version] = n
	}
	return nil
}

func (f *fakeCapacity) Provisioned(function string) []ProvisionedVersion {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ProvisionedVersion
	for v, n := range f.prov[function] {
		out = append(out, ProvisionedVersion{Version: v, Allocated: n, Available: n})
	}
	return out
}

func (f *fakeCapacity) SetReserved(function string, mb int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mb < 0 {
		delete(f.reserved, function)
	} else {
		f.reserved[function] = mb
	}
	return nil
}

func (f *fakeCapacity) Reserved(function string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mb, ok := f.reserved[function]
	return mb, ok
}

func TestProvisionedAndReserved(t *testing.T) {
	capa := &fakeCapacity{prov: map[string]map[string]int{}, reserved: map[string]int{}}
	h := newHarnessWith(t, Options{Capacity: capa})
	put := func(q string, n uint64) error {
		r := scf.NewPutProvisionedConcurrencyConfigRequest()
		r.FunctionName, r.Qualifier, r.VersionProvisionedConcurrencyNum = s("hello"), s(q), common.Uint64Ptr(n)
		_, err := h.client.PutProvisionedConcurrencyConfig(r)
		return err
	}
	must(t, put("2", 3))
	for _, tc := range []struct {
		name, q string
		n       uint64
		code    string
	}{
		{"latest", "$LATEST", 1, codeBadQualifier},
		{"alias", "$DEFAULT", 1, codeBadQualifier},
		{"missing version", "9", 1, codeFunctionVersionMissing},
		{"zero", "1", 0, codeProvisionedLimit},
		{"too many", "1", 101, codeProvisionedLimit},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, put(tc.q, tc.n), tc.code) })
	}
	gr := scf.NewGetProvisionedConcurrencyConfigRequest()
	gr.FunctionName = s("hello")
	resp, err := h.client.GetProvisionedConcurrencyConfig(gr)
	must(t, err)
	if a := resp.Response.Allocated; len(a) != 1 || *a[0].Qualifier != "2" || *a[0].AllocatedProvisionedConcurrencyNum != 3 ||
		*a[0].AvailableProvisionedConcurrencyNum != 3 || *a[0].Status != "Done" {
		t.Errorf("GetProvisionedConcurrencyConfig = %s", resp.ToJsonString())
	}

	// Reserved: 256 MB leaves no room for 3 more instances of 128 MB.
	pr := scf.NewPutReservedConcurrencyConfigRequest()
	pr.FunctionName, pr.ReservedConcurrencyMem = s("hello"), common.Uint64Ptr(512)
	_, err = h.client.PutReservedConcurrencyConfig(pr)
	must(t, err)
	wantCode(t, put("1", 2), codeProvisionedExceedReserved) // 3*128 + 2*128 > 512
	must(t, put("1", 1))
	rr := scf.NewGetReservedConcurrencyConfigRequest()
	rr.FunctionName = s("hello")
	rresp, err := h.client.GetReservedConcurrencyConfig(rr)
	must(t, err)
	if rresp.Response.ReservedMem == nil || *rresp.Response.ReservedMem != 512 {
		t.Errorf("GetReservedConcurrencyConfig = %s", rresp.ToJsonString())
	}
	pr.ReservedConcurrencyMem = common.Uint64Ptr(maxReservedMem + 1)
	_, err = h.client.PutReservedConcurrencyConfig(pr)
	wantCode(t, err, codeReservedMemLimit)

	dr := scf.NewDeleteReservedConcurrencyConfigRequest()
	dr.FunctionName = s("hello")
	_, err = h.client.DeleteReservedConcurrencyConfig(dr)
	must(t, err)
	dp := scf.NewDeleteProvisionedConcurrencyConfigRequest()
	dp.FunctionName, dp.Qualifier = s("hello"), s("2")
	_, err = h.client.DeleteProvisionedConcurrencyConfig(dp)
	must(t, err)
	if want := map[string]int{"1": 1}; !maps.Equal(capa.prov["hello"], want) || len(capa.reserved) != 0 {
		t.Errorf("after deletes: provisioned %v, reserved %v; want %v and none", capa.prov, capa.reserved, want)
	}
	rresp, err = h.client.GetReservedConcurrencyConfig(rr)
	must(t, err)
	if rresp.Response.ReservedMem != nil {
		t.Errorf("GetReservedConcurrencyConfig after delete = %s, want no ReservedMem", rresp.ToJsonString())
	}
}

func TestCapacityUnsupportedWithoutStore(t *testing.T) {
	h := newHarness(t)
	r := scf.NewGetReservedConcurrencyConfigRequest()
	r.FunctionName = s("hello")
	_, err := h.client.GetReservedConcurrencyConfig(r)
	wantCode(t, err, codeUnsupportedOperation)
}
