package runtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Mixed runs each spec in a container when its image can be had and on the
// process runtime otherwise (`--runtime auto` with a Docker daemon): one
// function whose image is unavailable does not take the others off Docker,
// and never fails a request for want of an image.
type Mixed struct {
	docker   ImageRuntime
	fallback Runtime
	logger   *slog.Logger

	mu         sync.Mutex        // guards moved and debugMoved
	moved      map[string]string // function -> image it lacks, once logged
	debugMoved map[string]bool   // "function version" debugged on the fallback, once logged
}

var _ Runtime = (*Mixed)(nil)

// NewMixed returns a runtime that starts specs on docker, or on fallback
// (the process runtime) when docker.ResolveImage says ErrImageUnavailable.
// A nil logger discards.
func NewMixed(docker ImageRuntime, fallback Runtime, logger *slog.Logger) *Mixed {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Mixed{docker: docker, fallback: fallback, logger: logger, moved: make(map[string]string), debugMoved: make(map[string]bool)}
}

// Name returns "docker": the runtime of every function whose image exists.
func (m *Mixed) Name() string { return m.docker.Name() }

// Runs returns the runtime spec starts on, and the resolution of its image
// (ResolveImage, so a pull may happen here, with progress).
func (m *Mixed) Runs(ctx context.Context, spec Spec, progress func(PullProgress)) (Runtime, ImageResolution, error) {
	res, err := m.docker.ResolveImage(ctx, spec, progress)
	if errors.Is(err, ErrImageUnavailable) {
		m.mu.Lock()
		_, seen := m.moved[spec.Function]
		m.moved[spec.Function] = res.Wanted
		m.mu.Unlock()
		if !seen && progress == nil { // else the caller shows it
			m.logger.Warn("image unavailable: the function runs on the process runtime",
				"function", spec.Function, "image", res.Wanted, "err", err)
		}
		return m.fallback, res, nil
	}
	return m.docker, res, err
}

// Start starts spec on the runtime Runs picks. Errors other than an
// unavailable image (the daemon failing, ctx ending) are Docker's, and are
// left to its Start to report.
func (m *Mixed) Start(ctx context.Context, spec Spec) (Instance, error) {
	if spec.DebugPort > 0 {
		return m.RunsDebug(ctx, spec).Start(ctx, spec)
	}
	rt, _, _ := m.Runs(ctx, spec, nil)
	return rt.Start(ctx, spec)
}

// debugChecker is a runtime that can tell whether it runs a spec under the
// spec's debugger.
type debugChecker interface {
	CanDebug(spec Spec) error
}

// RunsDebug returns the runtime a debugged spec starts on: Docker as for
// any spec, unless Docker cannot run it under its debugger (Go1 without a
// static dlv, a remote engine), which moves it to the process runtime.
func (m *Mixed) RunsDebug(ctx context.Context, spec Spec) Runtime {
	if dc, ok := m.docker.(debugChecker); ok {
		if err := dc.CanDebug(spec); err != nil {
			key := "debug " + spec.Function + " " + spec.Version
			m.mu.Lock()
			seen := m.debugMoved[key]
			m.debugMoved[key] = true
			m.mu.Unlock()
			if !seen {
				m.logger.Warn("the debugged version runs on the process runtime", "function", spec.Function, "version", spec.Version, "reason", err)
			}
			return m.fallback
		}
	}
	rt, _, _ := m.Runs(ctx, spec, nil)
	return rt
}
