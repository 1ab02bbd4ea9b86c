package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// shadowFamilies are the Prometheus families of shadow copies. They mirror
// scf_invocations_total, scf_errors_total and scf_duration_seconds with the
// same labels, so a query can add them to, or compare them with, the real
// traffic, while the existing series keep counting only real requests.
type shadowFamilies struct {
	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	dropped     *prometheus.CounterVec
}

func newShadowFamilies(labels []string) shadowFamilies {
	return shadowFamilies{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_shadow_invocations_total", Help: "Shadow copies of requests run, by function, shadow version, alias, stage and status class.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_shadow_errors_total", Help: "Shadow copies that failed, by status class.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scf_shadow_duration_seconds",
			Help:    "Run time of shadow copies.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"namespace", "function", "version", "alias"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_shadow_dropped_total", Help: "Shadow copies not made because too many were already running, or the request could not be copied.",
		}, []string{"namespace", "function", "version"}),
	}
}

func (f shadowFamilies) register(reg *prometheus.Registry) {
	reg.MustRegister(f.invocations, f.errors, f.duration, f.dropped)
}

func (f shadowFamilies) forget(match prometheus.Labels) {
	f.invocations.DeletePartialMatch(match)
	f.errors.DeletePartialMatch(match)
	f.duration.DeletePartialMatch(match)
	f.dropped.DeletePartialMatch(match)
}

// ShadowDropped counts a shadow copy to version that was not made (the
// copies in flight were at their limit, or the request body was too large
// to replay). Stats reports the count as VersionStats.ShadowDropped.
func (m *Metrics) ShadowDropped(function, version string) {
	ns, name := splitKey(function)
	m.shadow.dropped.WithLabelValues(ns, name, version).Inc()
	m.mu.Lock()
	agg := m.aggLocked(function, version)
	m.mu.Unlock()
	agg.dropShadow(m.now().Unix())
}
