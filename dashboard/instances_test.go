package dashboard

import (
	"net/http"
	"testing"
)

// fakeInstances answers fixed pools for every function.
type fakeInstances []InstanceCount

func (f fakeInstances) Instances(string) []InstanceCount { return f }

// TestInstanceCounts: each version row splits its live instances into
// provisioned (at most the configured count) and on demand, adding up a
// version's pools; versions without pools have none, and unknown versions
// are dropped.
func TestInstanceCounts(t *testing.T) {
	src := newFake()
	src.addFunction("B", 2)
	opts := Options{Instances: fakeInstances{
		{Version: "2", Live: 3, Provisioned: 2},
		{Version: "1", Live: 1, Provisioned: 3}, // a provisioned start still under way
		{Version: "$LATEST", Live: 1},
		{Version: "$LATEST", Live: 2}, // the old code's pool draining after a reload
		{Version: "9", Live: 4},
	}}
	d := decodeBody[detail](t, serve(t, src, opts, http.MethodGet, "/emulator/functions/B", nil))
	tests := []struct {
		version string
		want    instances
	}{
		{"$LATEST", instances{OnDemand: 3}},
		{"2", instances{Provisioned: 2, ProvisionedWant: 2, OnDemand: 1}},
		{"1", instances{Provisioned: 1, ProvisionedWant: 3}},
	}
	if len(d.Versions) != len(tests) {
		t.Fatalf("%d version rows, want %d", len(d.Versions), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			row := d.Versions[i]
			if row.Version.Version != tc.version || row.Instances == nil || *row.Instances != tc.want {
				t.Fatalf("row %d: version %s instances %+v, want %s %+v", i, row.Version.Version, row.Instances, tc.version, tc.want)
			}
		})
	}
	d = decodeBody[detail](t, serve(t, src, Options{}, http.MethodGet, "/emulator/functions/B", nil))
	for _, row := range d.Versions {
		if row.Instances != nil {
			t.Errorf("without Options.Instances version %s has instances %+v", row.Version.Version, row.Instances)
		}
	}
}
