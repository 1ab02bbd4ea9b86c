package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// MaxEventBytes is the platform's limit for a synchronous event (6 MB).
const MaxEventBytes = 6 << 20

// Registry is what the engine reads from the registry.
type Registry interface {
	Resolve(name, qualifier string, keys registry.Keys) (registry.Decision, registry.FunctionConfig, error)
	Version(name, version string) (registry.Version, error)
	Subscribe(fn func(registry.Change))
}

// Runner runs specs: the runtime manager.
type Runner interface {
	Invoke(ctx context.Context, spec runtime.Spec, inv runtime.Invocation) (runtime.Result, error)
	Serve(ctx context.Context, spec runtime.Spec, fn func(ctx context.Context, addr string) error) (bool, error)
	Retire(match func(runtime.Spec) bool)
	Prewarm(ctx context.Context, spec runtime.Spec) error
	Stats() []runtime.PoolStats
}

// Engine resolves and runs invocations.
type Engine struct {
	reg    Registry
	run    Runner
	logger *slog.Logger
	ctx    context.Context // ends in Close; bounds background pre-warming
	cancel context.CancelFunc
	wg     sync.WaitGroup // pre-warming goroutines
}

// New returns an engine and subscribes it to registry changes so that
// instances of code that is gone are drained.
func New(reg Registry, run Runner, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{reg: reg, run: run, logger: logger}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	reg.Subscribe(e.onChange)
	return e
}

// Close stops background work (pre-warming) and waits for it.
func (e *Engine) Close() {
	e.cancel()
	e.wg.Wait()
}

func (e *Engine) onChange(c registry.Change) {
	switch c.Kind {
	case registry.ChangeLatest:
		// New requests already resolve to the new code hash; the old pool
		// finishes its in-flight requests and then stops.
		old := c.Previous.CodeHash
		oldPool := func(s runtime.Spec) bool {
			return s.Function == c.Function && s.Version == registry.Latest && s.CodeHash == old
		}
		wasWarm := false
		for _, st := range e.run.Stats() {
			wasWarm = wasWarm || (oldPool(st.Spec) && st.Live+st.Starting > 0)
		}
		e.logger.Info("reloaded", "function", c.Function, "version", registry.Latest)
		if !wasWarm {
			e.run.Retire(oldPool)
			return
		}
		// The developer is using this function: start the new code now so
		// the first request after the save does not pay a cold start, and
		// only then drain the old instances, whose removal would compete
		// with that start. No new request reaches them meanwhile.
		e.wg.Go(func() {
			e.prewarm(c.Function)
			e.run.Retire(oldPool)
		})
	case registry.ChangeVersionDeleted:
		e.run.Retire(func(s runtime.Spec) bool {
			return s.Function == c.Function && s.Version == c.Version
		})
	case registry.ChangeFunctionDeleted:
		e.run.Retire(func(s runtime.Spec) bool { return s.Function == c.Function })
	}
}

// Resolve routes a qualifier to a concrete version. Unknown functions and
// qualifiers come back as scferr 435 / 442 errors that wrap the registry's.
func (e *Engine) Resolve(function, qualifier string, keys registry.Keys) (registry.Decision, registry.FunctionConfig, error) {
	d, cfg, err := e.reg.Resolve(function, qualifier, keys)
	if err != nil {
		return d, cfg, classify(err)
	}
	return d, cfg, nil
}

// Spec builds the runtime spec for one concrete version.
func (e *Engine) Spec(function, version string) (runtime.Spec, error) {
	v, err := e.reg.Version(function, version)
	if err != nil {
		return runtime.Spec{}, classify(err)
	}
	c := v.Config
	return runtime.Spec{
		Namespace:  registry.DefaultNamespace,
		Function:   function,
		Version:    v.Version,
		CodeHash:   v.CodeHash,
		CodeDir:    v.CodeDir,
		Runtime:    c.Runtime,
		Type:       c.Type,
		Handler:    c.Handler,
		MemoryMB:   c.MemorySize,
		TimeoutSec: c.Timeout,
		Env:        c.Environment,
		Image:      c.Image,
	}, nil
}

// InvokeEvent runs an event function version with one event.
func (e *Engine) InvokeEvent(ctx context.Context, function, version, requestID string, event []byte) (runtime.Result, error) {
	if len(event) > MaxEventBytes {
		return runtime.Result{}, scferr.Newf(scferr.ErrRequestTooLarge, nil, "event of %d bytes is over the 6 MB limit", len(event))
	}
	spec, err := e.Spec(function, version)
	if err != nil {
		return runtime.Result{}, err
	}
	if spec.Type == registry.TypeHTTP {
		return runtime.Result{}, fmt.Errorf("%w: %s is a web function; call it through the gateway", registry.ErrFunctionType, function)
	}
	start := time.Now()
	res, err := e.run.Invoke(ctx, spec, runtime.Invocation{RequestID: requestID, Event: event})
	e.logger.Debug("invoked", "function", function, "version", version, "request_id", requestID,
		"duration", time.Since(start), "status", scferr.Status(err))
	return res, err
}

// Serve lends a warm instance of a web function version to fn.
func (e *Engine) Serve(ctx context.Context, function, version string, fn func(ctx context.Context, addr string) error) (bool, error) {
	spec, err := e.Spec(function, version)
	if err != nil {
		return false, err
	}
	if spec.Type != registry.TypeHTTP {
		return false, fmt.Errorf("%w: %s is an event function", registry.ErrFunctionType, function)
	}
	return e.run.Serve(ctx, spec, fn)
}

func (e *Engine) prewarm(function string) {
	spec, err := e.Spec(function, registry.Latest)
	if err != nil {
		return
	}
	if err := e.run.Prewarm(e.ctx, spec); err != nil && e.ctx.Err() == nil {
		// The first request will start it again and report the error itself.
		e.logger.Warn("pre-warm failed", "function", function, "version", registry.Latest, "err", err)
	}
}
