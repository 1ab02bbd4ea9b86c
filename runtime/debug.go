package runtime

import (
	"context"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/lazyctx"
)

// debugWait stands in for "no limit" where a debugged instance must not be
// cut short: a developer may sit at a breakpoint for as long as they like,
// and the debugger they attached must find the instance still there.
const debugWait = 100 * 365 * 24 * time.Hour

// maxInstances is the pool's cap: a debugged version runs exactly one
// instance, since only one process can listen on the debug port.
func (p *pool) maxInstances() int {
	if p.spec.DebugPort > 0 {
		return 1
	}
	return p.m.opts.MaxInstances
}

// queueTimeout bounds a wait at the cap. Requests behind one paused at a
// breakpoint wait for it, bounded only by their own ctx.
func (p *pool) queueTimeout() time.Duration {
	if p.spec.DebugPort > 0 {
		return debugWait
	}
	return p.m.opts.QueueTimeout
}

// idleTimeout is how long an idle instance lives; a debugged one stays so
// that the attached debugger keeps its session.
func (p *pool) idleTimeout() time.Duration {
	if p.spec.DebugPort > 0 {
		return debugWait
	}
	return p.m.opts.IdleTimeout
}

// invocationContext bounds one invocation by the function's timeout, except
// under a debugger: time spent paused at a breakpoint must not count, and
// the emulator cannot tell paused from running, so the timeout is lifted.
// The invocation's end must be called when it returns. lazy makes the
// timeout a lazyctx: a web request's proxy asks it only Err and Deadline,
// so it costs one allocation instead of context.WithTimeout's seven; an
// event's instance waits on Done, which a lazyctx would make all the same.
func invocationContext(ctx context.Context, spec Spec, timeout time.Duration, lazy bool) (context.Context, invocationEnd) {
	var ictx context.Context
	var cancel context.CancelFunc
	switch {
	case spec.DebugPort > 0:
		ictx, cancel = context.WithCancel(ctx)
	case lazy:
		tc := lazyctx.WithTimeout(ctx, timeout)
		return tc, invocationEnd{tc: tc}
	default:
		ictx, cancel = context.WithTimeout(ctx, timeout)
	}
	return ictx, invocationEnd{cancel: cancel}
}

// invocationEnd ends an invocation's context: a value rather than a func,
// which would cost a lazyctx's Cancel an allocation.
type invocationEnd struct {
	tc     *lazyctx.Ctx
	cancel context.CancelFunc
}

func (e invocationEnd) end() {
	if e.tc != nil {
		e.tc.Cancel()
		return
	}
	e.cancel()
}

// DebugTarget is one function version run under a debugger.
type DebugTarget struct {
	Namespace string // "" is default
	Function  string
	Version   string // "$LATEST", "1", ...
	Port      int
}

func debugKey(namespace, function, version string) string {
	if namespace == "" {
		namespace = "default"
	}
	return namespace + "/" + function + "/" + version
}

// Debugger runs specs through a Manager, marking the specs of debugged
// versions with their port (Spec.DebugPort). Specs of other versions pass
// through untouched. It is safe for concurrent use.
type Debugger struct {
	*Manager
	ports map[string]int // debugKey -> port; read-only after NewDebugger

	mu   sync.Mutex        // guards hash
	hash map[string]string // debugKey -> code hash of the pool that owns the port
}

// NewDebugger returns a Debugger over m for targets.
func NewDebugger(m *Manager, targets []DebugTarget) *Debugger {
	d := &Debugger{Manager: m, ports: make(map[string]int, len(targets)), hash: make(map[string]string)}
	for _, t := range targets {
		d.ports[debugKey(t.Namespace, t.Function, t.Version)] = t.Port
	}
	return d
}

// Port returns the debug port of a version, 0 when it is not debugged.
func (d *Debugger) Port(namespace, function, version string) int {
	return d.ports[debugKey(namespace, function, version)]
}

// mark sets spec's DebugPort when its version is debugged. A debugged
// version whose code changed ($LATEST saved) first retires the pool of the
// old code, whose instance holds the port: the new instance waits in
// Runtime.Start until the port is free.
func (d *Debugger) mark(spec Spec) Spec {
	if len(d.ports) == 0 {
		return spec // no --debug: every request passes here
	}
	key := debugKey(spec.Namespace, spec.Function, spec.Version)
	port := d.ports[key]
	if port == 0 {
		return spec
	}
	spec.DebugPort = port
	d.mu.Lock()
	old, ok := d.hash[key]
	d.hash[key] = spec.CodeHash
	d.mu.Unlock()
	if ok && old != spec.CodeHash {
		d.Manager.Retire(func(s Spec) bool {
			return s.DebugPort == port && s.CodeHash != spec.CodeHash
		})
	}
	return spec
}

// Invoke is Manager.Invoke with debugged versions marked.
func (d *Debugger) Invoke(ctx context.Context, spec Spec, inv Invocation) (Result, error) {
	return d.Manager.Invoke(ctx, d.mark(spec), inv)
}

// Serve is Manager.Serve with debugged versions marked.
func (d *Debugger) Serve(ctx context.Context, spec Spec, fn func(ctx context.Context, addr string) error) (bool, error) {
	return d.Manager.Serve(ctx, d.mark(spec), fn)
}

// Prewarm is Manager.Prewarm with debugged versions marked.
func (d *Debugger) Prewarm(ctx context.Context, spec Spec) error {
	return d.Manager.Prewarm(ctx, d.mark(spec))
}
