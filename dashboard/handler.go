package dashboard

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Defaults for the zero values in Options.
const (
	DefaultMaxWindow = 15 * time.Minute
	DefaultMaxPoints = 900
)

// Options configures the dashboard. The zero value serves a writable page.
type Options struct {
	// ReadOnly, when not empty, says why the page cannot change anything
	// (for example: the cloud API verifies signatures the page cannot make).
	// The page then hides its editing controls and shows this text.
	ReadOnly string
	// MaxWindow is the longest window a series or stats call may ask for,
	// normally the metrics' retention; 0 means 15 minutes.
	MaxWindow time.Duration
	// MaxPoints caps the steps of one series answer; 0 means 900.
	MaxPoints int
	// Logger reports failures to write answers; nil discards.
	Logger *slog.Logger
	// WriteError, when set, answers every refused JSON call, so that the
	// dashboard's errors look like the rest of the admin address's. The
	// errors wrap ErrBadParameter (a query value) or ErrNotFound. Without
	// it the handler writes {"error", "parameter"} itself.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Debug, when set, says which versions run under a debugger
	// (emulator up --debug); the page marks them.
	Debug DebugPorts
	// Instances, when set, counts each version's live instances, so the
	// versions table tells provisioned (kept warm) from on-demand ones.
	Instances InstanceCounts
}

// InstanceCounts tells the live instances of a function's versions.
type InstanceCounts interface {
	// Instances lists one entry per version with live or provisioned
	// instances; a version may appear more than once (a $LATEST reload
	// leaves the old code's pool until it drains), and the page adds them.
	Instances(function string) []InstanceCount
}

// InstanceCount is a version's instances: Live of them started, of which
// min(Live, Provisioned) are the provisioned ones and the rest on demand.
type InstanceCount struct {
	Version     string
	Live        int
	Provisioned int // instances kept warm (provisioned concurrency)
}

// DebugPorts tells the debug port of a function version, 0 when it is not
// debugged.
type DebugPorts interface {
	DebugPort(function, version string) int
}

// ErrBadParameter is wrapped by the error of a query value the dashboard's
// JSON endpoints cannot take; ParamError says which.
var ErrBadParameter = errors.New("bad parameter")

// ParamError is a query parameter at fault.
type ParamError struct{ Param, Msg string }

func (e *ParamError) Error() string        { return e.Param + ": " + e.Msg }
func (e *ParamError) Is(target error) bool { return target == ErrBadParameter }

// Handler serves the page and its JSON endpoints.
type Handler struct {
	src    Source
	opts   Options
	log    *slog.Logger
	assets *assets
}

// New returns a Handler reading src.
func New(src Source, opts Options) *Handler {
	if opts.MaxWindow <= 0 {
		opts.MaxWindow = DefaultMaxWindow
	}
	if opts.MaxPoints <= 0 {
		opts.MaxPoints = DefaultMaxPoints
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{src: src, opts: opts, log: log, assets: loadAssets()}
}

// Register adds the dashboard's routes to mux: the page at GET / (exactly),
// its assets under GET /dashboard/, and the JSON endpoints under
// GET /emulator/. Other methods and paths stay with whatever mux serves at /.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.serveIndex)
	mux.HandleFunc("GET /dashboard/{file}", h.serveAsset)
	mux.HandleFunc("GET /emulator/overview", h.serveOverview)
	mux.HandleFunc("GET /emulator/functions/{name}", h.serveFunction)
	mux.HandleFunc("GET /emulator/series", h.serveSeries)
}

// apiError is the body of every refused JSON call.
type apiError struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter,omitempty"` // the query parameter at fault
}

func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	// Live data: a cached answer would freeze the chart.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.log.DebugContext(r.Context(), "writing dashboard answer", "path", r.URL.Path, "err", err)
	}
}

func (h *Handler) badParam(w http.ResponseWriter, r *http.Request, param, msg string) {
	if h.opts.WriteError != nil {
		h.opts.WriteError(w, r, &ParamError{Param: param, Msg: msg})
		return
	}
	h.writeJSON(w, r, http.StatusBadRequest, apiError{Error: param + ": " + msg, Parameter: param})
}

// sourceError answers a Source failure: 404 for an unknown function.
func (h *Handler) sourceError(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, ErrNotFound) {
		h.log.ErrorContext(r.Context(), "dashboard source", "path", r.URL.Path, "err", err)
	}
	if h.opts.WriteError != nil {
		h.opts.WriteError(w, r, err)
		return
	}
	if errors.Is(err, ErrNotFound) {
		h.writeJSON(w, r, http.StatusNotFound, apiError{Error: err.Error()})
		return
	}
	h.writeJSON(w, r, http.StatusInternalServerError, apiError{Error: err.Error()})
}
