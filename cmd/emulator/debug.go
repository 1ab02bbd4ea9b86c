package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/process"
)

// debugBuildEnv is put in front of a debugged Go1 function's build command:
// without optimisations and inlining, every line takes a breakpoint and
// every variable can be read. GOFLAGS cannot carry a value with a space,
// so `go build` is wrapped instead.
const debugBuildEnv = `go() { if [ "$1" = build ]; then shift; command go build "-gcflags=all=-N -l" "$@"; else command go "$@"; fi; }`

// parseDebugFlags reads --debug FUNCTION[:VERSION]=PORT values. A qualifier
// that is not $LATEST or a version number is an alias, which is refused: an
// alias routes between versions, and a debugger attaches to one of them.
func parseDebugFlags(vals []string) ([]runtime.DebugTarget, error) {
	var out []runtime.DebugTarget
	ports := map[int]string{}
	seen := map[string]bool{}
	for _, v := range vals {
		target, portText, ok := strings.Cut(v, "=")
		if !ok || target == "" {
			return nil, usageError{fmt.Errorf("--debug %q: want FUNCTION=PORT or FUNCTION:VERSION=PORT, e.g. B=5678", v)}
		}
		port, err := strconv.Atoi(portText)
		if err != nil || port < 1 || port > 65535 {
			return nil, usageError{fmt.Errorf("--debug %q: port %q is not a number from 1 to 65535", v, portText)}
		}
		name, version, _ := strings.Cut(target, ":")
		if version == "" {
			version = registry.Latest
		}
		if version != registry.Latest {
			if n, err := strconv.Atoi(version); err != nil || n < 1 {
				return nil, usageError{fmt.Errorf("--debug %q: %q is an alias or not a version: debugging targets a version, not an alias (use %s:VERSION=%d, or %s=%d for $LATEST)",
					v, version, name, port, name, port)}
			}
		}
		ns, fn := registry.SplitKey(name)
		key := name + ":" + version
		if seen[key] {
			return nil, usageError{fmt.Errorf("--debug %q: %s version %s is debugged twice", v, name, version)}
		}
		if other, dup := ports[port]; dup {
			return nil, usageError{fmt.Errorf("--debug %q: port %d is already taken by --debug %s", v, port, other)}
		}
		seen[key], ports[port] = true, v
		out = append(out, runtime.DebugTarget{Namespace: ns, Function: fn, Version: version, Port: port})
	}
	return out, nil
}

// debugRig is the App's part in --debug.
type debugRig struct {
	*runtime.Debugger
	proc *process.Process // the process runtime; nil with --runtime docker
	// roots is where each debugged version's code runs from, decided at
	// start-up; read-only once the servers run.
	roots map[runtime.DebugTarget]string
}

// newDebugger wraps the Manager so that the specs of debugged versions carry
// their port.
func (a *App) newDebugger() *runtime.Debugger {
	a.debug.Debugger = runtime.NewDebugger(a.mgr, a.cfg.Debug)
	return a.debug.Debugger
}

// debugSpec turns on the optimisation-free build of a debugged Go1 $LATEST.
// Published versions keep the binary they were published with.
func (a *App) debugSpec(s registry.FunctionSpec) registry.FunctionSpec {
	if s.Build == "" || !strings.EqualFold(s.Config.Runtime, "go1") {
		return s
	}
	for _, t := range a.cfg.Debug {
		if registry.Key(t.Namespace, t.Function) == s.Name && t.Version == registry.Latest {
			s.Build = debugBuildEnv + "\n" + s.Build
		}
	}
	return s
}

// startDebugged starts the instance of every debugged version now, so a
// debugger can attach before the first request. A debugged version runs
// where the others do, except one Docker cannot debug (Go1 without a static
// dlv), which --runtime auto moves to the process runtime (runtime.Mixed).
func (a *App) startDebugged(ctx context.Context) error {
	a.debug.roots = make(map[runtime.DebugTarget]string, len(a.cfg.Debug))
	for _, t := range a.cfg.Debug {
		name := registry.Key(t.Namespace, t.Function)
		spec, err := a.eng.Spec(name, t.Version)
		if err == nil {
			spec.DebugPort = t.Port
			a.debug.roots[t] = a.debugCodeRoot(ctx, spec)
			err = a.debug.Prewarm(ctx, spec)
		}
		if err != nil {
			return fmt.Errorf("start %s version %s for debugging on port %d: %w", name, t.Version, t.Port, err)
		}
	}
	a.adminSrv.HandleDebug(a)
	return nil
}

// DebugSessions is what GET /emulator/debug reports.
func (a *App) DebugSessions() []admin.DebugSession {
	var out []admin.DebugSession
	for _, t := range a.cfg.Debug {
		name := registry.Key(t.Namespace, t.Function)
		f, err := a.reg.Function(name)
		if err != nil {
			continue // deleted through the API meanwhile
		}
		spec, err := a.eng.Spec(name, t.Version)
		if err != nil {
			continue
		}
		spec.DebugPort = t.Port
		out = append(out, admin.DebugSession{
			Namespace: registry.DefaultNamespace, Function: t.Function, Version: t.Version,
			Runtime: spec.Runtime, Debugger: debuggerName(spec), Host: "127.0.0.1", Port: t.Port,
			Source: f.Source, CodeRoot: a.debug.roots[t],
		})
		if t.Namespace != "" {
			out[len(out)-1].Namespace = t.Namespace
		}
	}
	return out
}

// debugCodeRoot is the path the debugged code runs from: /var/user in a
// container, the fixed debug tree on the process runtime.
func (a *App) debugCodeRoot(ctx context.Context, spec runtime.Spec) string {
	onDocker := a.docker != nil
	if a.mixed != nil {
		onDocker = a.mixed.RunsDebug(ctx, spec) != runtime.Runtime(a.debug.proc)
	}
	if onDocker || a.debug.proc == nil {
		return "/var/user"
	}
	return a.debug.proc.DebugCodeDir(spec)
}

// debuggerName says what listens on a debugged version's port.
func debuggerName(spec runtime.Spec) string {
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http") || rt == "customruntime":
		return "custom"
	case strings.HasPrefix(rt, "python"):
		return "debugpy"
	case strings.HasPrefix(rt, "nodejs"):
		return "inspector"
	case rt == "go1":
		return "delve"
	}
	return "custom"
}

// debugBanner tells, under the functions, which versions are in debug mode.
func (a *App) debugBanner(b *strings.Builder) {
	for _, s := range a.DebugSessions() {
		fmt.Fprintf(b, "    %-14s %s\n", "", yellow(fmt.Sprintf("debug mode: %s %s, %s on %s:%d, one instance, timeout suspended (emulator debug config %s)",
			s.Function, s.Version, s.Debugger, s.Host, s.Port, s.Function)))
	}
}

// dashDebug tells the dashboard which versions run under a debugger.
type dashDebug []runtime.DebugTarget

// DebugPort is the port of function (a registry key) version, 0 if none.
func (d dashDebug) DebugPort(function, version string) int {
	if len(d) == 0 {
		return 0 // the usual case, asked on every request line
	}
	ns, fn := registry.SplitKey(function)
	for _, t := range d {
		if t.Function == fn && t.Version == version && registry.Key(t.Namespace, t.Function) == registry.Key(ns, fn) {
			return t.Port
		}
	}
	return 0
}

// debugMark ends a request line of a debugged version: its time includes
// any time spent paused at a breakpoint.
func (c *console) debugMark(function, version string) string {
	if function == "" || c.debug.DebugPort(function, version) == 0 {
		return ""
	}
	return " " + yellow("debug")
}
