package metrics

import (
	"testing"
	"time"
)

// TestNamespaceLabel: a function outside the default namespace (registry
// key "ns/name") is labelled namespace=ns, function=name, apart from the
// same name in the default namespace; Forget drops only its series.
func TestNamespaceLabel(t *testing.T) {
	m := New(Options{})
	observeN(m, 3, Sample{Function: "staging/B", Version: "1", Status: 200, Duration: time.Millisecond})
	observeN(m, 1, Sample{Function: "B", Version: "1", Status: 200, Duration: time.Millisecond})
	m.SetInstances("staging/B", "1", 1)
	want := map[string]float64{
		"alias=,class=2xx,function=B,namespace=staging,stage=,version=1": 3,
		"alias=,class=2xx,function=B,namespace=default,stage=,version=1": 1,
	}
	got := values(scrape(t, m)["scf_invocations_total"])
	for k, v := range want {
		if got[k] != v {
			t.Errorf("scf_invocations_total{%s} = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if got := values(scrape(t, m)["scf_instances"]); got["function=B,namespace=staging,version=1"] != 1 {
		t.Errorf("scf_instances = %v, want staging's B at 1", got)
	}
	m.Forget("staging/B", "")
	got = values(scrape(t, m)["scf_invocations_total"])
	if _, ok := got["alias=,class=2xx,function=B,namespace=staging,stage=,version=1"]; ok || got["alias=,class=2xx,function=B,namespace=default,stage=,version=1"] != 1 {
		t.Errorf("after Forget(staging/B): %v, want only default's B", got)
	}
}
