package diff

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Query selects the compared requests a Report covers.
type Query struct {
	Function string
	Alias    string    // "" for any
	Since    time.Time // zero for all kept
	// Primary and Candidate pick a version pair; "" takes the pair of the
	// latest compared request, so a report is about the current candidate.
	Primary, Candidate string
}

// Report is the differences between a primary and a candidate version on
// the same requests.
type Report struct {
	Function  string `json:"function"`
	Alias     string `json:"alias,omitempty"`
	Primary   string `json:"primary"`
	Candidate string `json:"candidate"`
	Compared  int    `json:"compared"`  // requests compared
	Differing int    `json:"differing"` // of them, with a difference that is not noise
	// DiffRate is Differing/Compared, 0 with nothing compared.
	DiffRate     float64    `json:"diffRate"`
	NoiseSamples int        `json:"noiseSamples"` // requests also sent to the primary twice
	Endpoints    []Endpoint `json:"endpoints"`
}

// Endpoint is one endpoint's differences.
type Endpoint struct {
	Endpoint  string  `json:"endpoint"`
	Compared  int     `json:"compared"`
	Differing int     `json:"differing"`
	Groups    []Group `json:"groups"`          // differences in the verdict, most frequent first
	Noise     []Group `json:"noise,omitempty"` // differences at paths learned to be noise
}

// Group is one path that differed: on how many of the endpoint's compared
// requests, and one example.
type Group struct {
	Path    string   `json:"path"`
	Kinds   []string `json:"kinds"`
	Count   int      `json:"count"`
	Share   float64  `json:"share"` // Count / the endpoint's Compared
	Example *Example `json:"example,omitempty"`
}

// Report groups the stored records q selects.
func (s *Store) Report(q Query) Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return buildReport(s.state.Records, s.state.Examples, q)
}

func buildReport(recs []record, examples map[string]*Example, q Query) Report {
	alias := q.Alias
	if q.Primary == "" || q.Candidate == "" {
		for i := len(recs) - 1; i >= 0; i-- {
			if r := recs[i]; r.Function == q.Function && (q.Alias == "" || r.Alias == q.Alias) {
				q.Primary, q.Candidate, alias = r.Primary, r.Candidate, r.Alias
				break
			}
		}
	}
	rep := Report{Function: q.Function, Alias: alias, Primary: q.Primary, Candidate: q.Candidate, Endpoints: []Endpoint{}}
	// Noise is learned from every sample of the primary, however old: the
	// primary's code did not change.
	noise := map[string]map[string]bool{}
	for _, r := range recs {
		if r.Function != q.Function || r.Primary != q.Primary || !r.Rerun {
			continue
		}
		if noise[r.Endpoint] == nil {
			noise[r.Endpoint] = map[string]bool{}
		}
		for _, p := range r.Noise {
			noise[r.Endpoint][p] = true
		}
	}
	type acc struct {
		ep            Endpoint
		groups, noisy map[string]*Group
	}
	eps := map[string]*acc{}
	for _, r := range recs {
		if r.Function != q.Function || r.Primary != q.Primary || r.Candidate != q.Candidate ||
			(q.Alias != "" && r.Alias != q.Alias) || r.Time.Before(q.Since) {
			continue
		}
		a := eps[r.Endpoint]
		if a == nil {
			a = &acc{ep: Endpoint{Endpoint: r.Endpoint}, groups: map[string]*Group{}, noisy: map[string]*Group{}}
			eps[r.Endpoint] = a
		}
		a.ep.Compared++
		rep.Compared++
		if r.Rerun {
			rep.NoiseSamples++
		}
		real := false
		for _, d := range r.Diffs {
			into := a.groups
			if isNoise(noise[r.Endpoint], d.Path) {
				into = a.noisy
			} else {
				real = true
			}
			g := into[d.Path]
			if g == nil {
				g = &Group{Path: d.Path, Example: examples[exampleKey(r, d.Path)]}
				into[d.Path] = g
			}
			if !slices.Contains(g.Kinds, d.Kind) {
				g.Kinds = append(g.Kinds, d.Kind)
			}
		}
		// A request counts once per path, however many of its array elements
		// differ there.
		for _, p := range Paths(r.Diffs) {
			if g := a.groups[p]; g != nil {
				g.Count++
			} else {
				a.noisy[p].Count++
			}
		}
		if real {
			a.ep.Differing++
			rep.Differing++
		}
	}
	for _, a := range eps {
		a.ep.Groups = sortGroups(a.groups, a.ep.Compared)
		a.ep.Noise = sortGroups(a.noisy, a.ep.Compared)
		rep.Endpoints = append(rep.Endpoints, a.ep)
	}
	slices.SortFunc(rep.Endpoints, func(x, y Endpoint) int {
		return cmp.Or(cmp.Compare(y.Differing, x.Differing), cmp.Compare(x.Endpoint, y.Endpoint))
	})
	if rep.Compared > 0 {
		rep.DiffRate = float64(rep.Differing) / float64(rep.Compared)
	}
	return rep
}

// isNoise says whether path, or a path containing it, was seen differing
// between two runs of the primary.
func isNoise(noisy map[string]bool, path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if noisy[p] {
			return true
		}
	}
	return false
}

// parentPath is the JSON path one level up, "" above the root.
func parentPath(p string) string {
	if !isJSONPath(p) || p == "$" {
		return ""
	}
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i <= 0 {
		return "$"
	}
	// A quoted key may hold '.' or '['; cut at the bracket that opens it.
	if strings.HasSuffix(p, "\"]") {
		if j := strings.LastIndex(p, "[\""); j > 0 {
			i = j
		}
	}
	return p[:i]
}

func sortGroups(m map[string]*Group, compared int) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		g.Share = float64(g.Count) / float64(compared)
		slices.Sort(g.Kinds)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(x, y Group) int { return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Path, y.Path)) })
	return out
}

// DiffRate is the share of the requests compared between versions from and
// to of function's alias that differ beyond noise, and how many were
// compared; the rollout gate max-diff-rate reads it.
func (s *Store) DiffRate(function, alias, from, to string) (float64, int) {
	r := s.Report(Query{Function: function, Alias: alias, Primary: from, Candidate: to})
	return r.DiffRate, r.Compared
}

// Summarize compares samples of one function and version pair that are
// not kept anywhere (a replay), and reports them as a Store would.
func Summarize(samples []Sample, redact Redactor) Report {
	if len(samples) == 0 {
		return Report{Endpoints: []Endpoint{}}
	}
	recs := make([]record, 0, len(samples))
	examples := map[string]*Example{}
	for _, smp := range samples {
		r := newRecord(smp)
		recs = append(recs, r)
		for _, p := range Paths(r.Diffs) {
			if k := exampleKey(r, p); examples[k] == nil {
				e := redact.example(smp)
				examples[k] = &e
			}
		}
	}
	s := samples[0]
	return buildReport(recs, examples, Query{Function: s.Function, Alias: s.Alias, Primary: s.Primary, Candidate: s.Candidate})
}
