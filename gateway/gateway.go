package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"
)

// Backend is what the gateway needs from the rest of the emulator.
//
// Errors carry scferr classes: Resolve returns 442 (qualifier not found) or
// 435 (function not found); Invoke and Serve return the function's failure
// (430, 433, 434, 439, 445, 446 ...). Any other error is answered as an
// internal error.
type Backend interface {
	// Resolve picks the concrete version for a qualifier; rules read the
	// request headers (case-insensitive).
	Resolve(ctx context.Context, function, qualifier string, header http.Header) (Target, error)
	// Invoke runs an event function and returns its JSON return value.
	Invoke(ctx context.Context, t Target, requestID string, event []byte) ([]byte, error)
	// Serve calls fn with the address of a warm instance of a web function,
	// held for the call. It returns fn's error, possibly reclassified. The
	// ctx fn gets is ctx, or derived from it with at most an earlier
	// deadline (the function's timeout): the gateway's own server cuts the
	// call when the request ends or that deadline passes, without waiting
	// on the ctx's Done (exwatch.go), so it must not end for another reason.
	Serve(ctx context.Context, t Target, requestID string, fn func(ctx context.Context, addr string) error) error
}

// Target is the concrete version a request runs on.
type Target struct {
	Function, Namespace string
	Qualifier           string // as configured on the stage/API, e.g. "release"
	Version             string // concrete version that will run: "2" or "$LATEST"
	Route               string // "rule" | "weight" | "primary" | "direct"
	Type                string // "event" | "http"
	Stage               string // the stage the request came in on; set by the gateway
	MemoryMB            int
	TimeoutSec          int
	// Shadow, set by Resolve, is a version that also gets a copy of the
	// request, "" for none (see Shadower).
	Shadow string
	// ShadowDiff, set by Resolve, compares the copy's answer with this
	// request's (see Comparer).
	ShadowDiff bool
	// Handle is the Backend's own: set by Resolve and handed back unchanged
	// to Invoke and Serve, so a Backend resolves a request once. A shadow
	// copy's Target has none.
	Handle any
}

// Function types a Target may have.
const (
	TypeEvent = "event"
	TypeHTTP  = "http"
)

// Service is an API Gateway service: stages bound to qualifiers, and APIs.
type Service struct {
	Name string
	// Stages maps a stage name to the qualifier its APIs use. An empty
	// qualifier declares the stage without a service-wide binding, so only
	// APIs with an override for it answer there.
	Stages map[string]string
	APIs   []API
}

// API binds a path and method of a service to a function.
type API struct {
	Path     string            // "/users/{id}"; mux templates
	Method   string            // ANY, GET, POST, PUT, DELETE, HEAD, PATCH or OPTIONS
	Function string            // function name
	Stages   map[string]string // per-API stage -> qualifier override; stages must exist on the service
	// OnlyStages limits the API to the stages in Stages, instead of also
	// inheriting the service's other stages. An apigw trigger binds one stage.
	OnlyStages bool
	// PassThrough switches the integrated response off: an event function's
	// return value is the body, with status 200 (see passThrough). The zero
	// value keeps the integrated response, the gateway contract's default.
	PassThrough bool
}

// Record describes one request the gateway answered.
type Record struct {
	Time                                time.Time
	Service, Stage, Method, Path        string // Path is the request path without the stage
	Function, Qualifier, Version, Route string
	RequestID                           string // the SCF request id (X-Scf-Request-Id)
	Status                              int    // HTTP status sent to the client
	SCFStatus                           int    // 200, 430, 433 ...; 0 when no function was chosen
	Duration                            time.Duration
	Err                                 error
}

// Options configures a Gateway; the zero value works.
type Options struct {
	Logger *slog.Logger // nil discards
	// Observe, when set, is called once per request, after the answer was
	// written, e.g. for the console or metrics. It must not block for long.
	Observe      func(Record)
	MaxBodyBytes int64 // request body limit; 0 means 6 MB
	// BodyTimeout bounds the time a client may take to send the whole
	// request body, which the gateway receives before it takes an instance;
	// past it the client gets 408. 0 means 30 s.
	BodyTimeout time.Duration
	// ShadowBodyBytes is the largest web request body buffered to replay to
	// a shadow version; a larger request gets no copy. 0 means 1 MB.
	ShadowBodyBytes int64
	// Recorder, when set, gets every request routed to a function (see
	// Recorder); nil records nothing and costs nothing.
	Recorder Recorder
}

const defaultMaxBody = 6 << 20

// Gateway is an http.Handler serving API Gateway stages. It is safe for
// concurrent use; SetServices may be called while requests are served.
type Gateway struct {
	backend Backend
	log     *slog.Logger
	observe func(Record)
	maxBody int64
	// bodyTimeout bounds the receipt of a request body (Options.BodyTimeout).
	bodyTimeout time.Duration

	shadower   Shadower // the backend, when it runs shadow copies; nil otherwise
	comparer   Comparer // the backend, when it compares copies' answers; nil otherwise
	shadowBody int64
	recorder   Recorder // Options.Recorder

	// table is the routing table every request loads once at its start; it
	// is replaced as a whole, never modified.
	table atomic.Pointer[table]

	upstreams *upstreams      // keep-alive connections of the gateway's own proxy path
	transport *http.Transport // of the reverse proxy: upgrades, request trailers, shadow copies
	proxy     *httputil.ReverseProxy

	newID func() string // request ids; replaced in tests for golden output
}

// New returns a gateway that serves no service until SetServices is called.
func New(b Backend, opts Options) *Gateway {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{
		backend: b,
		log:     log,
		observe: opts.Observe,
		maxBody: opts.MaxBodyBytes,
		newID:   newIDSource().next,
	}
	if g.maxBody <= 0 {
		g.maxBody = defaultMaxBody
	}
	g.bodyTimeout = opts.BodyTimeout
	if g.bodyTimeout <= 0 {
		g.bodyTimeout = defaultBodyTimeout
	}
	g.shadower, _ = b.(Shadower)
	g.comparer, _ = b.(Comparer)
	g.shadowBody = opts.ShadowBodyBytes
	g.recorder = opts.Recorder
	if g.shadowBody <= 0 {
		g.shadowBody = defaultShadowBody
	}
	g.transport, g.proxy = newProxy(log)
	g.upstreams = newUpstreams()
	return g
}

// Close releases the idle connections to web-function instances. The gateway
// keeps working afterwards; it merely opens new connections.
func (g *Gateway) Close() error {
	g.transport.CloseIdleConnections()
	g.upstreams.closeIdle()
	return nil
}

// Services returns a copy of the services currently served.
func (g *Gateway) Services() []Service {
	t := g.table.Load()
	if t == nil {
		return nil
	}
	return cloneServices(t.services)
}

// SetServices validates svcs and, when they are valid, makes them the served
// configuration for every request that starts afterwards. Requests already
// running finish on the table they started with. On error nothing changes.
func (g *Gateway) SetServices(svcs []Service) error {
	t, err := buildTable(svcs)
	if err != nil {
		return err
	}
	g.table.Store(t)
	g.log.Debug("gateway services set", "services", len(svcs))
	return nil
}

// CheckServices reports the error SetServices would give for svcs, changing
// nothing: a config edit checks its routes before it changes anything else.
func CheckServices(svcs []Service) error {
	_, err := buildTable(svcs)
	return err
}

// ServeHTTP routes the request to its stage and API and answers it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{
		g:        g,
		rw:       responseWriter{ResponseWriter: w},
		r:        r,
		apiReqID: g.newID(),
		rec:      Record{Time: time.Now(), Method: r.Method},
	}
	ex.w = &ex.rw
	defer ex.finish()
	ex.serve(r.Context(), g.table.Load())
}
