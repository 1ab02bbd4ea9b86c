package metrics

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for the zero values in Options.
const (
	DefaultWindow    = 15 * time.Minute
	DefaultMaxSeries = 10000
)

// Options configures Metrics. The zero value is ready to use.
type Options struct {
	// Window is how much per-second history is kept for Stats and Series;
	// 0 means 15 minutes. It is rounded up to whole seconds.
	Window time.Duration
	// MaxSeries caps the (function, version, alias, stage) combinations
	// tracked; samples for new ones beyond it are dropped and counted in
	// scf_metrics_dropped_samples_total. 0 means 10000.
	MaxSeries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Sample is one finished invocation.
type Sample struct {
	Function, Version string
	Alias             string // "" when invoked by version
	Stage             string // API Gateway stage; "" for cloud API calls
	Status            int    // SCF status: 200, 430, 433, ...
	HTTPStatus        int    // status the gateway answered with; 0 when not via the gateway
	Duration          time.Duration
	ColdStart         bool
	// Shadow marks a copy of a request sent to an alias's shadow version
	// (its answer went nowhere). Copies count in the version's windowed
	// aggregate (Stats: invocations, errors, latency; Share leaves them
	// out) and in the scf_shadow_* Prometheus families, not in the
	// families of real traffic.
	Shadow bool
}

// seriesKey identifies one labelled series.
type seriesKey struct {
	function, version, alias, stage string
	shadow                          bool
}

// versionKey identifies one version's windowed aggregate.
type versionKey struct{ function, version string }

// series caches the Prometheus children of one label combination so the hot
// path does not hash label values.
type series struct {
	mu   sync.Mutex // guards dead and the lazily created counters below
	dead bool       // forgotten: a late sample must not recreate its children
	inv  [numClasses]prometheus.Counter
	errs [numClasses]prometheus.Counter
	http [len(httpCodes)]prometheus.Counter

	dur  prometheus.Observer
	cold prometheus.Counter
	agg  *versionAgg
}

// Metrics records invocations. It is safe for concurrent use.
type Metrics struct {
	now       func() time.Time
	seconds   int
	maxSeries int

	reg         *prometheus.Registry
	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	httpResp    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	coldStarts  *prometheus.CounterVec
	instances   *prometheus.GaugeVec
	dropped     prometheus.Counter
	shadow      shadowFamilies

	mu     sync.RWMutex // guards series and aggs
	series map[seriesKey]*series
	aggs   map[versionKey]*versionAgg
}

// New returns Metrics with its own Prometheus registry.
func New(opts Options) *Metrics {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	full := []string{"namespace", "function", "version", "alias", "stage", "class"}
	m := &Metrics{
		now:       opts.Now,
		seconds:   int((opts.Window + time.Second - 1) / time.Second),
		maxSeries: opts.MaxSeries,
		reg:       prometheus.NewRegistry(),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_invocations_total", Help: "Invocations by function, version that ran, alias, stage and status class.",
		}, full),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_errors_total", Help: "Failed invocations (user and platform errors) by status class.",
		}, full),
		httpResp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_http_responses_total", Help: "Gateway responses by HTTP status class.",
		}, []string{"namespace", "function", "version", "alias", "stage", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scf_duration_seconds",
			Help:    "Invocation run time.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"namespace", "function", "version", "alias"}),
		coldStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scf_cold_starts_total", Help: "Invocations that started an instance.",
		}, []string{"namespace", "function", "version"}),
		instances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "scf_instances", Help: "Live instances (processes or containers) per version.",
		}, []string{"namespace", "function", "version"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scf_metrics_dropped_samples_total", Help: "Samples dropped because the series limit was reached.",
		}),
		series: make(map[seriesKey]*series),
		aggs:   make(map[versionKey]*versionAgg),
	}
	m.reg.MustRegister(m.invocations, m.errors, m.httpResp, m.duration, m.coldStarts, m.instances, m.dropped)
	m.shadow = newShadowFamilies(full)
	m.shadow.register(m.reg)
	return m
}

// Observe records one finished invocation.
func (m *Metrics) Observe(s Sample) {
	k := seriesKey{s.Function, s.Version, s.Alias, s.Stage, s.Shadow}
	m.mu.RLock()
	sr := m.series[k]
	m.mu.RUnlock()
	if sr == nil {
		if sr = m.newSeries(k); sr == nil {
			m.dropped.Inc()
			return
		}
	}
	class := classIndex(s.Status)
	hi := httpIndex(s.HTTPStatus)
	invVec, errVec := m.invocations, m.errors
	if s.Shadow {
		invVec, errVec, hi = m.shadow.invocations, m.shadow.errors, -1 // a copy answers no client
	}
	ns, name := splitKey(s.Function)
	sr.mu.Lock()
	if sr.dead {
		sr.mu.Unlock()
		return
	}
	inv := sr.inv[class]
	if inv == nil {
		inv = invVec.WithLabelValues(ns, name, s.Version, s.Alias, s.Stage, classes[class])
		sr.inv[class] = inv
	}
	var errc, httpc prometheus.Counter
	if class != 0 {
		if errc = sr.errs[class]; errc == nil {
			errc = errVec.WithLabelValues(ns, name, s.Version, s.Alias, s.Stage, classes[class])
			sr.errs[class] = errc
		}
	}
	if hi >= 0 {
		if httpc = sr.http[hi]; httpc == nil {
			httpc = m.httpResp.WithLabelValues(ns, name, s.Version, s.Alias, s.Stage, httpCodes[hi])
			sr.http[hi] = httpc
		}
	}
	sr.mu.Unlock()

	inv.Inc()
	if errc != nil {
		errc.Inc()
	}
	if httpc != nil {
		httpc.Inc()
	}
	sr.dur.Observe(s.Duration.Seconds())
	if s.ColdStart {
		sr.cold.Inc()
	}
	sr.agg.observe(m.now().Unix(), class, s.Duration, s.ColdStart, s.Shadow)
}

// newSeries creates the series of k, or returns nil when the limit is reached.
func (m *Metrics) newSeries(k seriesKey) *series {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sr := m.series[k]; sr != nil {
		return sr
	}
	if len(m.series) >= m.maxSeries {
		return nil
	}
	dur := m.duration
	if k.shadow {
		dur = m.shadow.duration
	}
	ns, name := splitKey(k.function)
	sr := &series{
		dur:  dur.WithLabelValues(ns, name, k.version, k.alias),
		cold: m.coldStarts.WithLabelValues(ns, name, k.version),
		agg:  m.aggLocked(k.function, k.version),
	}
	m.series[k] = sr
	return sr
}

// aggLocked returns the windowed aggregate of a version, creating it. m.mu
// must be held for writing.
func (m *Metrics) aggLocked(function, version string) *versionAgg {
	vk := versionKey{function, version}
	agg := m.aggs[vk]
	if agg == nil {
		agg = &versionAgg{seconds: m.seconds}
		m.aggs[vk] = agg
	}
	return agg
}

// SetInstances sets the number of live instances of one version.
func (m *Metrics) SetInstances(function, version string, live int) {
	ns, name := splitKey(function)
	m.instances.WithLabelValues(ns, name, version).Set(float64(live))
}

// Forget drops every series and the history of one version, or of the whole
// function when version is "", so deleted versions do not linger in /metrics.
func (m *Metrics) Forget(function, version string) {
	ns, name := splitKey(function)
	match := prometheus.Labels{"namespace": ns, "function": name}
	if version != "" {
		match["version"] = version
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, sr := range m.series {
		if k.function == function && (version == "" || k.version == version) {
			sr.mu.Lock()
			sr.dead = true
			sr.mu.Unlock()
			delete(m.series, k)
		}
	}
	for k := range m.aggs {
		if k.function == function && (version == "" || k.version == version) {
			delete(m.aggs, k)
		}
	}
	m.invocations.DeletePartialMatch(match)
	m.errors.DeletePartialMatch(match)
	m.httpResp.DeletePartialMatch(match)
	m.duration.DeletePartialMatch(match)
	m.coldStarts.DeletePartialMatch(match)
	m.instances.DeletePartialMatch(match)
	m.shadow.forget(match)
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// splitKey returns the namespace and the plain name of a function key
// ("ns/name", or a bare name in the default namespace): the labels
// namespace and function, so that a person reads the name the platform
// shows and can select a namespace.
func splitKey(function string) (ns, name string) {
	if ns, name, ok := strings.Cut(function, "/"); ok {
		return ns, name
	}
	return "default", function
}
