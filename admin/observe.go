package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
)

// defaultLogLimit is how many records GET /emulator/logs sends without ?limit.
const defaultLogLimit = 50

// metrics refreshes the live-instance gauges at scrape time, so no
// goroutine has to poll the runtime, then answers Prometheus.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Instances != nil {
		live := map[[2]string]int{}
		for _, c := range s.opts.Instances.Instances() {
			live[[2]string{c.Function, c.Version}] += c.Live
		}
		for k, n := range live {
			s.opts.Metrics.SetInstances(k[0], k[1], n)
		}
	}
	s.opts.Metrics.Handler().ServeHTTP(w, r)
	return nil
}

// logs answers newline-delimited JSON records of one function, oldest
// first; with follow=1 it keeps streaming new ones until the client leaves
// or the server closes.
func (s *Server) logs(w http.ResponseWriter, r *http.Request) error {
	fn, err := s.function(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := defaultLogLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("limit must be a positive integer")
		}
		limit = n
	}
	query := logstore.Query{Function: fn, Qualifier: q.Get("qualifier")}
	var live <-chan logstore.Record
	if q.Get("follow") == "1" {
		release, err := s.streams.open(w, r)
		if err != nil {
			return err
		}
		defer release()
		live = s.opts.Logs.Follow(r.Context(), query) // before the history, so nothing falls in between
	}
	query.Limit, query.Order = limit, logstore.OrderDesc
	recent, _ := s.opts.Logs.Query(query)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	seen := make(map[string]bool, len(recent))
	for i := len(recent) - 1; i >= 0; i-- {
		seen[recent[i].RequestID] = !recent[i].Running
		_ = enc.Encode(recent[i])
	}
	flush(w)
	if live == nil {
		return nil
	}
	for {
		select {
		case rec, ok := <-live:
			if !ok {
				return nil
			}
			if seen[rec.RequestID] {
				continue
			}
			if err := enc.Encode(rec); err != nil {
				return nil
			}
			flush(w)
		case <-s.closing: // shutdown must not wait for a follower to hang up
			return nil
		}
	}
}

// StatsAnswer is what GET /emulator/stats returns.
type StatsAnswer struct {
	Function string                 `json:"function"`
	Window   string                 `json:"window"`
	Versions []metrics.VersionStats `json:"versions"`
	Aliases  []registry.Alias       `json:"aliases"`
	// Instances are the function's live instances by pool: provisioned
	// ones and, beyond them, on-demand ones.
	Instances []InstanceCount `json:"instances,omitempty"`
}

// defaultStatsWindow is the window of GET /emulator/stats without ?window.
const defaultStatsWindow = time.Minute

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	fn, err := s.function(r)
	if err != nil {
		return err
	}
	window := defaultStatsWindow
	if v := r.URL.Query().Get("window"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return badRequest("window %q: want a positive duration such as 5m", v)
		}
		window = d
	}
	aliases, err := s.opts.Registry.Aliases(fn, "")
	if err != nil && !errors.Is(err, registry.ErrFunctionNotFound) {
		return err
	}
	ans := StatsAnswer{Function: fn, Window: window.String(), Versions: s.opts.Metrics.Stats(fn, window), Aliases: aliases}
	if s.opts.Instances != nil {
		for _, c := range s.opts.Instances.Instances() {
			if registry.Key(c.Namespace, c.Function) == fn {
				ans.Instances = append(ans.Instances, c)
			}
		}
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}
