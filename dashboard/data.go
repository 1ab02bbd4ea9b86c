package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// summaryWindow is the window of the overview's per-function figures.
const summaryWindow = time.Minute

// overview is the answer of GET /emulator/overview: one short line per
// function, so that the list stays cheap with many functions.
type overview struct {
	ReadOnly       bool        `json:"readOnly"`
	ReadOnlyReason string      `json:"readOnlyReason,omitempty"`
	Window         string      `json:"window"`
	Functions      []fnSummary `json:"functions"`
}

type fnSummary struct {
	Name     string `json:"name"`
	Runtime  string `json:"runtime"`
	Type     string `json:"type"`
	Versions int    `json:"versions"` // published
	Aliases  int    `json:"aliases"`
	// Split is true when an alias sends traffic to more than one version.
	Split     bool    `json:"split,omitempty"`
	Requests  int     `json:"requests"` // over Window
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"errorRate"`
	// Debug is true when a version of the function runs under a debugger.
	Debug bool `json:"debug,omitempty"`
}

func (h *Handler) serveOverview(w http.ResponseWriter, r *http.Request) {
	fns := h.src.Functions()
	out := overview{
		ReadOnly: h.opts.ReadOnly != "", ReadOnlyReason: h.opts.ReadOnly,
		Window: summaryWindow.String(), Functions: make([]fnSummary, 0, len(fns)),
	}
	for _, f := range fns {
		s := fnSummary{Name: f.Name, Runtime: f.Runtime, Type: f.Type}
		// A function deleted since Functions() is just listed without counts.
		vs, err := h.src.Versions(f.Name)
		if err == nil {
			s.Versions = len(vs)
		}
		s.Debug = h.debugPort(f.Name, "$LATEST") > 0
		for _, v := range vs {
			s.Debug = s.Debug || h.debugPort(f.Name, v.Version) > 0
		}
		if as, err := h.src.Aliases(f.Name); err == nil {
			s.Aliases = len(as)
			for _, a := range as {
				if len(a.Weights) > 0 || len(a.Matches) > 0 || a.Shadow != nil {
					s.Split = true
				}
			}
		}
		for _, st := range h.src.Stats(f.Name, summaryWindow) {
			s.Requests += st.Invocations
			s.Errors += st.Errors
		}
		if s.Requests > 0 {
			s.ErrorRate = float64(s.Errors) / float64(s.Requests)
		}
		out.Functions = append(out.Functions, s)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// detail is the answer of GET /emulator/functions/{name}.
type detail struct {
	Function
	Versions []versionRow `json:"versions"` // $LATEST first, then newest first
	Aliases  []Alias      `json:"aliases"`
}

type versionRow struct {
	Version
	DebugPort int        `json:"debugPort,omitempty"` // > 0: runs under a debugger on this port
	Instances *instances `json:"instances,omitempty"` // nil: no live or provisioned instance
	Last1m    *stats     `json:"last1m,omitempty"`    // nil: no traffic within the metrics' retention
	Last5m    *stats     `json:"last5m,omitempty"`
}

// instances are a version's live instances, split as the platform bills
// them: provisioned (kept warm, of ProvisionedWant configured) and on demand.
type instances struct {
	Provisioned     int `json:"provisioned"`
	ProvisionedWant int `json:"provisionedWant"`
	OnDemand        int `json:"onDemand"`
}

type stats struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	ErrorRate  float64 `json:"errorRate"`
	Share      float64 `json:"share"`
	P50ms      float64 `json:"p50ms"`
	P99ms      float64 `json:"p99ms"`
	ColdStarts int     `json:"coldStarts"`
}

func toStats(s VersionStats) *stats {
	return &stats{
		Requests: s.Invocations, Errors: s.Errors, ErrorRate: s.ErrorRate, Share: s.Share,
		P50ms: ms(s.P50), P99ms: ms(s.P99), ColdStarts: s.ColdStarts,
	}
}

// addInstances fills the rows' instance counts, adding up a version's pools.
func (h *Handler) addInstances(name string, rows []versionRow, index map[string]int) {
	if h.opts.Instances == nil {
		return
	}
	for _, c := range h.opts.Instances.Instances(name) {
		i, ok := index[c.Version]
		if !ok {
			continue
		}
		if rows[i].Instances == nil {
			rows[i].Instances = &instances{}
		}
		in := rows[i].Instances
		p := min(c.Live, c.Provisioned)
		in.Provisioned += p
		in.ProvisionedWant += c.Provisioned
		in.OnDemand += c.Live - p
	}
}

// debugPort is the debug port of a version, 0 when none.
func (h *Handler) debugPort(function, version string) int {
	if h.opts.Debug == nil {
		return 0
	}
	return h.opts.Debug.DebugPort(function, version)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (h *Handler) serveFunction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, err := h.src.Function(name)
	if err != nil {
		h.sourceError(w, r, err)
		return
	}
	vs, err := h.src.Versions(name)
	if err != nil {
		h.sourceError(w, r, err)
		return
	}
	as, err := h.src.Aliases(name)
	if err != nil {
		h.sourceError(w, r, err)
		return
	}
	rows := make([]versionRow, 0, len(vs)+1)
	rows = append(rows, versionRow{Version: Version{Version: "$LATEST", CodeHash: f.CodeHash, AddTime: f.ModTime}})
	for i := len(vs) - 1; i >= 0; i-- {
		rows = append(rows, versionRow{Version: vs[i]})
	}
	index := make(map[string]int, len(rows))
	for i, row := range rows {
		index[row.Version.Version] = i
		rows[i].DebugPort = h.debugPort(name, row.Version.Version)
	}
	h.addInstances(name, rows, index)
	for _, s := range h.src.Stats(name, time.Minute) {
		if i, ok := index[s.Version]; ok {
			rows[i].Last1m = toStats(s)
		}
	}
	for _, s := range h.src.Stats(name, 5*time.Minute) {
		if i, ok := index[s.Version]; ok {
			rows[i].Last5m = toStats(s)
		}
	}
	if as == nil {
		as = []Alias{}
	}
	h.writeJSON(w, r, http.StatusOK, detail{Function: f, Versions: rows, Aliases: as})
}

// series is the answer of GET /emulator/series, in columns: Times[i] is the
// start of step i (Unix ms) and each line has one count per step.
type series struct {
	Function string       `json:"function"`
	Window   string       `json:"window"`
	Step     string       `json:"step"`
	StepSecs int          `json:"stepSeconds"`
	Times    []int64      `json:"times"`
	Lines    []seriesLine `json:"versions"`
}

type seriesLine struct {
	Version  string `json:"version"`
	Requests []int  `json:"requests"`
	Errors   []int  `json:"errors"`
	Total    int    `json:"total"` // requests over the window
}

func (h *Handler) serveSeries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("function")
	if name == "" {
		h.badParam(w, r, "function", "required")
		return
	}
	window, ok := h.duration(w, r, "window", 5*time.Minute, time.Second, h.opts.MaxWindow)
	if !ok {
		return
	}
	step, ok := h.duration(w, r, "step", 2*time.Second, time.Second, window)
	if !ok {
		return
	}
	if step%time.Second != 0 {
		h.badParam(w, r, "step", fmt.Sprintf("%s is not a whole number of seconds", step))
		return
	}
	if n := int(window / step); n > h.opts.MaxPoints {
		h.badParam(w, r, "step", fmt.Sprintf("window %s in steps of %s is %d points, more than %d: use a longer step", window, step, n, h.opts.MaxPoints))
		return
	}
	if _, err := h.src.Function(name); err != nil {
		h.sourceError(w, r, err)
		return
	}
	out := series{Function: name, Window: window.String(), Step: step.String(), StepSecs: int(step / time.Second), Times: []int64{}, Lines: []seriesLine{}}
	lines := map[string]int{}
	for _, p := range h.src.Series(name, window, step) {
		t := p.Time.UnixMilli()
		if n := len(out.Times); n == 0 || out.Times[n-1] != t {
			out.Times = append(out.Times, t)
		}
		i, ok := lines[p.Version]
		if !ok {
			i = len(out.Lines)
			lines[p.Version] = i
			out.Lines = append(out.Lines, seriesLine{Version: p.Version})
		}
		l := &out.Lines[i]
		// Pad a version missing from earlier steps, so columns line up even
		// if a Source does not list every version in every step.
		for len(l.Requests) < len(out.Times)-1 {
			l.Requests, l.Errors = append(l.Requests, 0), append(l.Errors, 0)
		}
		l.Requests, l.Errors = append(l.Requests, p.Requests), append(l.Errors, p.Errors)
		l.Total += p.Requests
	}
	for i := range out.Lines {
		l := &out.Lines[i]
		for len(l.Requests) < len(out.Times) {
			l.Requests, l.Errors = append(l.Requests, 0), append(l.Errors, 0)
		}
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// duration reads an optional duration parameter within [least, most],
// answering 400 naming it when it is not.
func (h *Handler) duration(w http.ResponseWriter, r *http.Request, param string, def, least, most time.Duration) (time.Duration, bool) {
	s := strings.TrimSpace(r.URL.Query().Get(param))
	if s == "" {
		return min(def, most), true
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		h.badParam(w, r, param, fmt.Sprintf("%q is not a duration such as 5m or 2s", s))
		return 0, false
	case d < least || d > most:
		h.badParam(w, r, param, fmt.Sprintf("%s is outside %s..%s", d, least, most))
		return 0, false
	}
	return d, true
}
