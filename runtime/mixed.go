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

	mu    sync.Mutex        // guards moved
	moved map[string]string // function -> image it lacks, once logged
}

var _ Runtime = (*Mixed)(nil)

// NewMixed returns a runtime that starts specs on docker, or on fallback
// (the process runtime) when docker.ResolveImage says ErrImageUnavailable.
// A nil logger discards.
func NewMixed(docker ImageRuntime, fallback Runtime, logger *slog.Logger) *Mixed {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Mixed{docker: docker, fallback: fallback, logger: logger, moved: make(map[string]string)}
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
	rt, _, _ := m.Runs(ctx, spec, nil)
	return rt.Start(ctx, spec)
}
