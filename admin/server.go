package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
)

// What the endpoints read, one small interface per source. The emulator's
// own types satisfy most of them as they are (*logstore.Store,
// *metrics.Metrics, *registry.Registry, *rollout.Manager, *gateway.Gateway).

// Logs reads the invocation log.
type Logs interface {
	Query(logstore.Query) ([]logstore.Record, int)
	// Follow sends the records that complete from now on, until ctx ends.
	Follow(ctx context.Context, q logstore.Query) <-chan logstore.Record
}

// Metrics is the metrics store: windowed statistics, the Prometheus
// exposition and the live-instance gauge.
type Metrics interface {
	Stats(function string, window time.Duration) []metrics.VersionStats
	Handler() http.Handler
	SetInstances(function, version string, live int)
}

// Instances counts the live instances of the runtime.
type Instances interface {
	Instances() []InstanceCount
}

// InstanceCount is the live instances of one pool; a version may have
// several pools, which /metrics adds up.
type InstanceCount struct {
	Function, Version string
	Live              int
	// Namespace and Provisioned (instances kept warm, of Live at most)
	// are for GET /emulator/stats, which tells provisioned from on-demand.
	Namespace   string `json:"namespace,omitempty"`
	Provisioned int    `json:"provisioned"`
}

// Registry answers whether a function exists, and its aliases.
type Registry interface {
	Function(name string) (registry.Function, error)
	Aliases(function, version string) ([]registry.Alias, error)
}

// Rollouts starts, lists, watches and aborts rollouts.
type Rollouts interface {
	Start(ctx context.Context, p rollout.Plan) (rollout.Status, error)
	Get(function, alias string) (rollout.Status, bool)
	List(function string) []rollout.Status
	// Subscribe calls fn with every status change until cancel is called.
	Subscribe(fn func(rollout.Status)) (cancel func())
	Abort(function, alias, reason string) (rollout.Status, error)
}

// Gateway tells the services it serves and a function's routes.
type Gateway interface {
	Services() []gateway.Service
	Routes(function string) []gateway.Route
}

// InfoSource describes the running emulator for GET /emulator/info.
type InfoSource interface {
	Info() Info
}

// Mounter adds its own routes to the admin mux; *dashboard.Handler is one.
type Mounter interface {
	Register(mux *http.ServeMux)
}

// ServerOptions is what a Server serves from. Every source is required but
// Instances, Diffs, Requests, Parked, Dashboard and API.
type ServerOptions struct {
	Logs      Logs
	Metrics   Metrics
	Instances Instances // nil: /metrics leaves the instance gauge alone
	Registry  Registry
	Rollouts  Rollouts
	Gateway   Gateway
	Info      InfoSource
	Diffs     Diffs    // nil: no diff results (404)
	Requests  Requests // nil: no recorded requests (404)
	Parked    Parked   // nil: no parked functions (404)
	// Dashboard is mounted on the same mux: the page at GET / and its data.
	Dashboard Mounter
	// API answers whatever no endpoint claims: the cloud API at POST /.
	API http.Handler
	// Signed tells that the guard authenticates requests by TC3
	// signatures. A signature does not cover a POST's query, so an abort
	// must then name its rollout in the body.
	Signed bool
	// MaxStreams bounds the streams open at once (streams.go); 0 means
	// DefaultMaxStreams.
	MaxStreams int
}

// Server serves the admin address's own endpoints (/emulator/*, /metrics,
// /healthz) and mounts the dashboard and the cloud API beside them. It
// answers every failure with WriteError. Put a Guard in front of it.
type Server struct {
	opts      ServerOptions
	mux       *http.ServeMux
	closing   chan struct{} // closed by Close: ends the open streams
	closeOnce sync.Once
	streams   *streams // the open streams' share of the connections
}

// HandlerFunc is an endpoint: it writes its answer on success and returns
// what went wrong otherwise, which the Server answers with WriteError.
// After the answer has begun (a stream) it returns nil.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// NewServer returns a Server with every endpoint registered.
func NewServer(opts ServerOptions) *Server {
	s := &Server{opts: opts, mux: http.NewServeMux(), closing: make(chan struct{}), streams: newStreams(opts.MaxStreams)}
	// One line per endpoint: the method and path, and the method serving it.
	s.Handle("GET /healthz", s.healthz)
	s.Handle("GET /metrics", s.metrics)
	s.Handle("GET /emulator/logs", s.logs)
	s.Handle("GET /emulator/stats", s.stats)
	s.Handle("GET /emulator/info", s.info)
	s.Handle("GET /emulator/routes", s.routes)
	s.Handle("POST /emulator/rollouts", s.startRollout)
	s.Handle("GET /emulator/rollouts", s.listRollouts)
	s.Handle("GET /emulator/rollouts/watch", s.watchRollout)
	s.Handle("POST /emulator/rollouts/abort", s.abortRollout)
	s.Handle("GET /emulator/diff", s.diffReport)
	s.Handle("POST /emulator/diff/replay", s.replay)
	s.Handle("GET /emulator/requests", s.requests)
	s.Handle("GET /emulator/parked", s.listParked)
	s.Handle("POST /emulator/parked/delete", s.deleteParked)
	if opts.Dashboard != nil {
		opts.Dashboard.Register(s.mux)
	}
	if opts.API != nil {
		s.mux.Handle("/", opts.API)
	}
	return s
}

// Handle registers an endpoint at pattern (a ServeMux pattern such as
// "GET /emulator/x"). Register everything before serving.
func (s *Server) Handle(pattern string, h HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, err)
		}
	})
}

// ServeHTTP dispatches to the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends the streams (log follow, rollout watch), so that shutting the
// HTTP server down need not wait for their clients to hang up. Call it
// before http.Server.Shutdown.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// function checks the function named in the query exists.
func (s *Server) function(r *http.Request) (string, error) {
	fn := r.URL.Query().Get("function")
	if _, err := s.opts.Registry.Function(fn); err != nil {
		return "", err
	}
	return fn, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
