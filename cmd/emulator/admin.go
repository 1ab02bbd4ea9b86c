package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/tc3"
)

// adminHandler serves the admin address: the cloud API at POST /, and the
// emulator's own read-only endpoints that the CLI's logs and stats use.
func adminHandler(apiSrv http.Handler, a *App) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", instanceGauges(a.mgr, a.met))
	mux.HandleFunc("GET /emulator/logs", a.serveLogs)
	mux.HandleFunc("GET /emulator/stats", a.serveStats)
	mux.HandleFunc("GET /emulator/info", a.serveInfo)
	a.rolloutRoutes(mux)
	a.splitTestRoutes(mux)
	a.dashboardRoutes(mux)
	mux.Handle("/", apiSrv)
	return mux
}

// adminVerifier checks the signatures of the /emulator/* endpoints with the
// cloud API's credentials and replay memory; nil without credentials. With
// half a credential no key is known, so everything is refused.
func adminVerifier(cfg AppConfig, replay *tc3.Replay) admin.Verifier {
	if cfg.SecretID == "" && cfg.SecretKey == "" {
		return nil
	}
	keys := map[string]string{}
	if cfg.SecretID != "" && cfg.SecretKey != "" {
		keys[cfg.SecretID] = cfg.SecretKey
	}
	return &tc3.Verifier{Service: signService, Keys: keys, Replay: replay}
}

// instanceGauges refreshes the live-instance gauges from the runtime at
// scrape time, so no goroutine has to poll.
func instanceGauges(mgr *runtime.Manager, met *metrics.Metrics) http.Handler {
	h := met.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live := map[[2]string]int{}
		for _, st := range mgr.Stats() {
			live[[2]string{st.Spec.Function, st.Spec.Version}] += st.Live
		}
		for k, n := range live {
			met.SetInstances(k[0], k[1], n)
		}
		h.ServeHTTP(w, r)
	})
}

// serveLogs answers newline-delimited JSON records of one function, oldest
// first; with follow=1 it keeps streaming new ones until the client leaves.
func (a *App) serveLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fn := q.Get("function")
	if _, err := a.reg.Function(fn); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a positive integer"})
			return
		}
		limit = n
	}
	query := logstore.Query{Function: fn, Qualifier: q.Get("qualifier")}
	var live <-chan logstore.Record
	if q.Get("follow") == "1" {
		live = a.logs.Follow(r.Context(), query) // before the history, so nothing falls in between
	}
	query.Limit, query.Order = limit, logstore.OrderDesc
	recent, _ := a.logs.Query(query)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	seen := make(map[string]bool, len(recent))
	for i := len(recent) - 1; i >= 0; i-- {
		seen[recent[i].RequestID] = !recent[i].Running
		_ = enc.Encode(recent[i])
	}
	flush(w)
	if live == nil {
		return
	}
	for {
		select {
		case rec, ok := <-live:
			if !ok {
				return
			}
			if seen[rec.RequestID] {
				continue
			}
			if err := enc.Encode(rec); err != nil {
				return
			}
			flush(w)
		case <-a.closing: // shutdown must not wait for a follower to hang up
			return
		}
	}
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// statsAnswer is what GET /emulator/stats returns.
type statsAnswer struct {
	Function string                 `json:"function"`
	Window   string                 `json:"window"`
	Versions []metrics.VersionStats `json:"versions"`
	Aliases  []registry.Alias       `json:"aliases"`
}

func (a *App) serveStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fn := q.Get("function")
	if _, err := a.reg.Function(fn); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	window := time.Minute
	if s := q.Get("window"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("window %q: want a positive duration such as 5m", s)})
			return
		}
		window = d
	}
	aliases, err := a.reg.Aliases(fn, "")
	if err != nil && !errors.Is(err, registry.ErrFunctionNotFound) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, statsAnswer{Function: fn, Window: window.String(), Versions: a.met.Stats(fn, window), Aliases: aliases})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
