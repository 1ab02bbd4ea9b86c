package runtime

import (
	"context"
	"time"
)

// Spec is everything a runtime needs to start an instance of one
// (function, version). The registry is not imported: package engine maps a
// routed registry version to a Spec (engine.Target.Spec).
type Spec struct {
	Namespace  string
	Function   string
	Version    string // "$LATEST" or "1", "2", ...
	CodeHash   string // changes whenever $LATEST is reloaded
	CodeDir    string // absolute path of the read-only code tree (working directory)
	Runtime    string // SCF runtime name: Python3.9, Nodejs16.13, Go1, CustomRuntime
	Type       string // "event" or "http"
	Handler    string // index.main_handler; Go1: binary name
	MemoryMB   int
	TimeoutSec int
	Env        map[string]string // user variables; the runtime adds the SCF ones
	Image      string            // docker runtime only; "" means the runtime's default
	// Layers are read-only layer trees, in order: mounted at /opt on Docker
	// and put on the module path after CodeDir on both runtimes.
	Layers []string
	// DebugPort, when > 0, runs the instance under a debugger listening on
	// this port (debug.go): one instance per pool, no invocation timeout.
	DebugPort int
	// Concurrency is how many requests one web-function instance serves at
	// once (the platform's MaxConcurrency, 1..100); 0 and 1 mean one.
	// Event functions always get one request per instance.
	Concurrency int
	// ImageConfig makes an image function (the platform's Code.ImageConfig):
	// the image is the code, its server on port 9000 takes events as
	// POST /event-invoke (Type "event") or HTTP requests (Type "http").
	// Only the docker runtime runs it. nil for code functions.
	ImageConfig *ImageConfig
}

// ImageConfig is an image function's image and start command, as the
// cloud API's Code.ImageConfig has them.
type ImageConfig struct {
	ImageURI string // the image, e.g. myrepo/app:1 (ImageUri)
	Command  string // replaces the image's command, split at spaces; "" keeps it
	Args     string // arguments after Command (or the image's entrypoint), split at spaces
}

// Key identifies the pool of instances that may serve spec. Specs with equal
// keys are interchangeable.
func (s Spec) Key() string {
	return string(s.appendKey(nil))
}

// appendKey appends spec's Key to b.
func (s Spec) appendKey(b []byte) []byte {
	b = append(b, s.Namespace...)
	b = append(b, '/')
	b = append(b, s.Function...)
	b = append(b, '/')
	b = append(b, s.Version...)
	b = append(b, '@')
	return append(b, s.CodeHash...)
}

// Invocation is one event delivered to an event function.
type Invocation struct {
	RequestID string
	Event     []byte // JSON
}

// Result is what an invocation produced. It is meaningful (Log, Duration)
// even when Invoke also returns an error.
type Result struct {
	Payload      []byte        // the function's return value as JSON
	Log          string        // output written during this invocation, bounded
	Duration     time.Duration // run time of the invocation itself
	MemUsage     int64         // bytes; 0 when unknown
	ColdStart    bool          // an instance was started for this request
	InitDuration time.Duration // start-up time when ColdStart
}

// Runtime starts instances of functions: processes or containers.
type Runtime interface {
	// Name is "process" or "docker".
	Name() string
	// Start starts one instance and returns once it is ready to serve, or fails
	// with an error of class scferr.ErrContainerInit / ErrPortBinding that
	// carries the tail of the instance's output.
	Start(ctx context.Context, spec Spec) (Instance, error)
}

// Instance is one running copy of a function. The Manager guarantees that
// Invoke is never called concurrently on one instance; Serve shares a web
// instance's address among up to Spec.Concurrency requests.
type Instance interface {
	// Invoke runs one event. User errors come back as scferr 430 errors, a
	// process that dies as 439, an OOM kill as 434. When ctx ends first it
	// returns ctx.Err() and the instance must be considered broken.
	Invoke(ctx context.Context, inv Invocation) (Result, error)
	// Addr is host:port of a web function's HTTP server, "" for event functions.
	Addr() string
	// Exited is closed when the process or container is gone.
	Exited() <-chan struct{}
	// Stop terminates the instance and frees its resources. It is idempotent
	// and safe to call after the instance exited on its own.
	Stop(ctx context.Context) error
}
