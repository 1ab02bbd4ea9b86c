package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestShadowAccounting(t *testing.T) {
	m := New(Options{Now: newClock().Now})
	real := Sample{Function: "B", Alias: "release", Stage: "release", Status: 200, HTTPStatus: 200, Duration: 2 * time.Millisecond}
	v1, v2 := real, real
	v1.Version, v2.Version = "1", "2"
	observeN(m, 90, v1)
	observeN(m, 10, v2)
	// Half of 50 copies to version 2 time out after 2 s.
	ok := Sample{Function: "B", Version: "2", Alias: "release", Stage: "release", Status: 200, Duration: 2 * time.Millisecond, Shadow: true}
	slow := ok
	slow.Status, slow.Duration = 433, 2*time.Second
	observeN(m, 25, ok)
	observeN(m, 25, slow)
	for range 3 {
		m.ShadowDropped("B", "2")
	}

	stats := m.Stats("B", time.Minute)
	if len(stats) != 2 {
		t.Fatalf("stats = %+v, want versions 1 and 2", stats)
	}
	s1, s2 := stats[0], stats[1]
	if s1.Invocations != 90 || s1.Shadow != 0 || math.Abs(s1.Share-0.9) > 1e-9 {
		t.Errorf("version 1 = %+v, want 90 real invocations and share 0.9", s1)
	}
	// Version 2: its 10 real requests are its share; the copies count in
	// its invocations, error rate and latency.
	if s2.Invocations != 60 || s2.Shadow != 50 || s2.ShadowDropped != 3 || math.Abs(s2.Share-0.1) > 1e-9 {
		t.Errorf("version 2 = %+v, want 60 invocations of which 50 shadow, 3 dropped, share 0.1", s2)
	}
	if s2.Errors != 25 || math.Abs(s2.ErrorRate-25.0/60) > 1e-9 || s2.ByClass["433"] != 25 {
		t.Errorf("version 2 errors = %d (rate %.3f, by class %v), want 25 of 60, all 433", s2.Errors, s2.ErrorRate, s2.ByClass)
	}
	if s2.P99 < 1900*time.Millisecond {
		t.Errorf("version 2 p99 = %v, want the copies' 2 s", s2.P99)
	}

	fams := scrape(t, m)
	lbl := func(class string) string {
		return "alias=release,class=" + class + ",function=B,namespace=default,stage=release,version=2"
	}
	tests := []struct {
		family, series string
		want           float64
	}{
		// The real-traffic families are untouched by the copies.
		{"scf_invocations_total", lbl("2xx"), 10},
		{"scf_invocations_total", lbl("433"), 0},
		{"scf_http_responses_total", "alias=release,code=2xx,function=B,namespace=default,stage=release,version=2", 10},
		{"scf_duration_seconds", "alias=release,function=B,namespace=default,version=2", 10},
		// The copies have families of their own with the same labels.
		{"scf_shadow_invocations_total", lbl("2xx"), 25},
		{"scf_shadow_invocations_total", lbl("433"), 25},
		{"scf_shadow_errors_total", lbl("433"), 25},
		{"scf_shadow_duration_seconds", "alias=release,function=B,namespace=default,version=2", 50},
		{"scf_shadow_dropped_total", "function=B,namespace=default,version=2", 3},
	}
	for _, tc := range tests {
		if got := values(fams[tc.family])[tc.series]; got != tc.want {
			t.Errorf("%s{%s} = %v, want %v", tc.family, tc.series, got, tc.want)
		}
	}

	// Series carries the copies apart too.
	var shadow, requests int
	for _, p := range m.Series("B", time.Minute, 10*time.Second) {
		if p.Version == "2" {
			shadow += p.Shadow
			requests += p.Requests
		}
	}
	if shadow != 50 || requests != 60 {
		t.Errorf("series for version 2: %d requests, %d shadow; want 60 and 50", requests, shadow)
	}

	m.Forget("B", "2")
	for name, fam := range scrape(t, m) {
		if strings.HasPrefix(name, "scf_shadow_") && len(values(fam)) > 0 {
			t.Errorf("%s still has series after Forget: %v", name, values(fam))
		}
	}
}

func TestObserveShadowAllocs(t *testing.T) {
	m := New(Options{})
	s := Sample{Function: "B", Version: "2", Alias: "release", Stage: "release", Status: 433, Duration: time.Millisecond, Shadow: true}
	m.Observe(s) // creates the series
	if n := testing.AllocsPerRun(100, func() { m.Observe(s) }); n != 0 {
		t.Errorf("Observe of a shadow copy allocates %v times, want 0", n)
	}
}
