package engine

import (
	"context"
	"log/slog"
	"sync"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
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

// Options configure an Engine; the zero value works and records nothing.
type Options struct {
	Logger *slog.Logger
	// Logs and Metrics receive every invocation's record; nil skips it.
	Logs    LogSink
	Metrics MetricSink
	// Comparer keeps the comparisons of Invoke's shadow copies of aliases
	// in diff mode; nil compares nothing.
	Comparer Comparer
}

// Engine resolves, runs and records invocations, whichever way they come in
// (gateway, cloud API, rollout hooks), and owns the work that outlives a
// request: async invocations, shadow copies, pre-warming.
type Engine struct {
	reg     Registry
	run     Runner
	logger  *slog.Logger
	logs    LogSink
	met     MetricSink
	cmp     Comparer        // Options.Comparer
	bg      *background     // async invocations and shadow copies
	shadows chan struct{}   // one token per shadow copy in flight
	ctx     context.Context // ends in Close; bounds background pre-warming
	cancel  context.CancelFunc
	wg      sync.WaitGroup // pre-warming goroutines
}

// New returns an engine and subscribes it to registry changes so that
// instances of code that is gone are drained.
func New(reg Registry, run Runner, opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{reg: reg, run: run, logger: opts.Logger, logs: opts.Logs, met: opts.Metrics, cmp: opts.Comparer,
		bg: newBackground(), shadows: make(chan struct{}, MaxShadowCopies)}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	reg.Subscribe(e.onChange)
	return e
}

// Close cancels background work (async invocations, shadow copies,
// pre-warming) and waits for it.
func (e *Engine) Close() {
	e.cancel()
	e.bg.close()
	e.wg.Wait()
}

func (e *Engine) onChange(c registry.Change) {
	switch c.Kind {
	case registry.ChangeLatest:
		// New requests already resolve to the new code hash; the old pool
		// finishes its in-flight requests and then stops.
		old := c.Previous.RunHash()
		oldPool := func(s runtime.Spec) bool {
			return specOf(s, c.Function) && s.Version == registry.Latest && s.CodeHash == old
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
			return specOf(s, c.Function) && s.Version == c.Version
		})
	case registry.ChangeFunctionDeleted, registry.ChangeFunctionParked:
		e.run.Retire(func(s runtime.Spec) bool { return specOf(s, c.Function) })
	}
}

// specOf reports whether s runs the function with registry key key.
func specOf(s runtime.Spec, key string) bool {
	return registry.Key(s.Namespace, s.Function) == key
}

// Spec builds the runtime spec for one concrete version.
func (e *Engine) Spec(function, version string) (runtime.Spec, error) {
	t, err := e.Direct(function, version, version, registry.RouteDirect)
	if err != nil {
		return runtime.Spec{}, err
	}
	return t.Spec(), nil
}

// InvokeEvent runs one concrete version of an event function with one
// event, unrecorded (a caller that has no routing to record).
func (e *Engine) InvokeEvent(ctx context.Context, function, version, requestID string, event []byte) (runtime.Result, error) {
	t, err := e.Direct(function, version, version, registry.RouteDirect)
	if err != nil {
		return runtime.Result{}, err
	}
	return e.runEvent(ctx, t, requestID, event)
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
