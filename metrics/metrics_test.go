package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, rec.Body.String())
	}
	return fams
}

// values flattens a family into "label=value,..." -> value, labels sorted.
func values(fam *dto.MetricFamily) map[string]float64 {
	out := make(map[string]float64)
	if fam == nil {
		return out
	}
	for _, mt := range fam.GetMetric() {
		var ls []string
		for _, l := range mt.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(ls)
		v := 0.0
		switch {
		case mt.Counter != nil:
			v = mt.Counter.GetValue()
		case mt.Gauge != nil:
			v = mt.Gauge.GetValue()
		case mt.Histogram != nil:
			v = float64(mt.Histogram.GetSampleCount())
		}
		out[strings.Join(ls, ",")] = v
	}
	return out
}

func TestPrometheusExport(t *testing.T) {
	m := New(Options{})
	observeN(m, 9, Sample{Function: "B", Version: "1", Alias: "release", Stage: "release", Status: 200, HTTPStatus: 200, Duration: 5 * time.Millisecond})
	observeN(m, 1, Sample{Function: "B", Version: "2", Alias: "release", Stage: "release", Status: 433, HTTPStatus: 502, Duration: 3 * time.Second, ColdStart: true})
	observeN(m, 2, Sample{Function: "B", Version: "$LATEST", Status: 439})
	m.SetInstances("B", "1", 2)
	m.SetInstances("B", "2", 1)

	fams := scrape(t, m)
	tests := []struct {
		family string
		want   map[string]float64
	}{
		{"scf_invocations_total", map[string]float64{
			"alias=release,class=2xx,function=B,namespace=default,stage=release,version=1": 9,
			"alias=release,class=433,function=B,namespace=default,stage=release,version=2": 1,
			"alias=,class=5xx,function=B,namespace=default,stage=,version=$LATEST":         2,
		}},
		{"scf_errors_total", map[string]float64{
			"alias=release,class=433,function=B,namespace=default,stage=release,version=2": 1,
			"alias=,class=5xx,function=B,namespace=default,stage=,version=$LATEST":         2,
		}},
		{"scf_http_responses_total", map[string]float64{
			"alias=release,code=2xx,function=B,namespace=default,stage=release,version=1": 9,
			"alias=release,code=5xx,function=B,namespace=default,stage=release,version=2": 1,
		}},
		{"scf_duration_seconds", map[string]float64{
			"alias=release,function=B,namespace=default,version=1": 9,
			"alias=release,function=B,namespace=default,version=2": 1,
			"alias=,function=B,namespace=default,version=$LATEST":  2,
		}},
		{"scf_cold_starts_total", map[string]float64{
			"function=B,namespace=default,version=1": 0, "function=B,namespace=default,version=2": 1, "function=B,namespace=default,version=$LATEST": 0,
		}},
		{"scf_instances", map[string]float64{"function=B,namespace=default,version=1": 2, "function=B,namespace=default,version=2": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.family, func(t *testing.T) {
			got := values(fams[tc.family])
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s:\n got %v\nwant %v", tc.family, got, tc.want)
			}
		})
	}
	if _, ok := fams["go_goroutines"]; ok {
		t.Error("own registry expected; found the default Go collector")
	}
}

func TestForget(t *testing.T) {
	m := New(Options{})
	observeN(m, 3, Sample{Function: "B", Version: "1", Alias: "release", Status: 200})
	observeN(m, 3, Sample{Function: "B", Version: "2", Alias: "release", Status: 200})
	observeN(m, 3, Sample{Function: "C", Version: "1", Status: 200})
	m.SetInstances("B", "1", 1)
	m.Forget("B", "1")
	inv := values(scrape(t, m)["scf_invocations_total"])
	for k := range inv {
		if strings.Contains(k, "function=B") && strings.Contains(k, "version=1") {
			t.Errorf("forgotten series still exported: %s", k)
		}
	}
	if len(inv) != 2 {
		t.Errorf("remaining series %v, want B/2 and C/1", inv)
	}
	if _, ok := values(scrape(t, m)["scf_instances"])["function=B,namespace=default,version=1"]; ok {
		t.Error("instances gauge of a forgotten version still exported")
	}
	if st := m.Stats("B", 0); len(st) != 1 || st[0].Version != "2" {
		t.Errorf("Stats after Forget = %+v, want only version 2", st)
	}
	m.Forget("C", "")
	if st := m.Stats("C", 0); len(st) != 0 {
		t.Errorf("Stats after forgetting the function = %+v", st)
	}
	// A version observed again after Forget starts afresh.
	m.Observe(Sample{Function: "B", Version: "1", Status: 200})
	if st := m.Stats("B", 0); len(st) != 2 || st[0].Invocations != 1 {
		t.Errorf("Stats after re-observing = %+v", st)
	}
}

func TestMaxSeries(t *testing.T) {
	m := New(Options{MaxSeries: 3})
	for i := range 10 {
		m.Observe(Sample{Function: "B", Version: fmt.Sprint(i + 1), Status: 200})
	}
	fams := scrape(t, m)
	if n := len(fams["scf_invocations_total"].GetMetric()); n != 3 {
		t.Errorf("%d invocation series, want the cap of 3", n)
	}
	if got := fams["scf_metrics_dropped_samples_total"].GetMetric()[0].GetCounter().GetValue(); got != 7 {
		t.Errorf("dropped = %v, want 7", got)
	}
}

func TestObserveConcurrent(t *testing.T) {
	m := New(Options{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				m.Observe(Sample{Function: "B", Version: fmt.Sprint(g%2 + 1), Status: []int{200, 433, 430}[i%3]})
				if i%100 == 0 {
					m.Stats("B", time.Minute)
					m.Series("B", time.Minute, time.Second)
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, st := range m.Stats("B", 0) {
		total += st.Invocations
	}
	if total != 2000 {
		t.Errorf("total = %d, want 2000", total)
	}
}
