package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// PullPolicy says when the docker runtime pulls an image.
type PullPolicy string

// Pull policies; "" means PullMissing.
const (
	// PullMissing pulls images that are not present locally.
	PullMissing PullPolicy = "missing"
	// PullAlways pulls every registry image once per run, present or not,
	// and keeps the local copy when the pull fails.
	PullAlways PullPolicy = "always"
	// PullNever uses local images only.
	PullNever PullPolicy = "never"
)

// ParsePullPolicy parses a --pull value.
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch p := PullPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case PullMissing, PullAlways, PullNever:
		return p, nil
	}
	return "", fmt.Errorf("pull policy %q: want always, missing or never", s)
}

// resolvedImage is a cached outcome of resolve.
type resolvedImage struct {
	res runtime.ImageResolution
	err error
}

// ResolveImage makes sure the image spec runs in can be used, following
// the pull policy: present, pulled (progress, when not nil, receives the
// pull's progress), created (the static image) or, for a missing default
// Python or Node.js image, the Debian image standing in. When none works the
// error is a 445 matching ErrImageUnavailable that names the image and the
// ways to get it. The outcome is kept for the run: Start and later calls do
// not ask the daemon or pull again. `emulator up` calls it for every
// function before it serves.
func (d *Docker) ResolveImage(ctx context.Context, spec runtime.Spec, progress func(runtime.PullProgress)) (runtime.ImageResolution, error) {
	binary := ""
	if plan, err := d.plan(spec); err == nil {
		binary = plan.binary // a code problem is Start's to report, not an image one
	}
	choice, err := d.imageFor(spec, binary)
	if err != nil {
		return runtime.ImageResolution{Runtime: spec.Runtime}, err
	}
	return d.resolve(ctx, spec.Runtime, choice, progress)
}

// resolve is ResolveImage for a chosen image, cached by image and fallback.
func (d *Docker) resolve(ctx context.Context, rt string, choice imageChoice, progress func(runtime.PullProgress)) (runtime.ImageResolution, error) {
	key := choice.ref + "\x00" + choice.fallback
	lookup := func() (resolvedImage, bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		r, ok := d.resolved[key]
		return r, ok
	}
	if r, ok := lookup(); ok {
		r.res.Runtime = rt
		return r.res, r.err
	}
	// One resolution at a time: two cold starts of one function pull once.
	d.resolveMu.Lock()
	defer d.resolveMu.Unlock()
	if r, ok := lookup(); ok {
		r.res.Runtime = rt
		return r.res, r.err
	}
	res, err := d.resolveNow(ctx, rt, choice, progress)
	if err == nil || errors.Is(err, runtime.ErrImageUnavailable) {
		// Other failures (daemon errors, ctx ending) are tried again next time.
		d.mu.Lock()
		d.resolved[key] = resolvedImage{res: res, err: err}
		d.mu.Unlock()
	}
	return res, err
}

// localImage reports whether ref is one of the emulator's own images, which
// are built on this machine and in no registry.
func localImage(ref string) bool {
	return ref == StaticRuntimeImage || ref == DebianRuntimeImage
}

func (d *Docker) resolveNow(ctx context.Context, rt string, choice imageChoice, progress func(runtime.PullProgress)) (runtime.ImageResolution, error) {
	res := runtime.ImageResolution{Runtime: rt, Wanted: choice.ref}
	ok, err := d.api.imageExists(ctx, choice.ref)
	if err != nil {
		return res, scferr.Newf(scferr.ErrContainerInit, err, "cannot inspect image %s", choice.ref)
	}
	if ok && (d.pull != PullAlways || localImage(choice.ref)) {
		d.markPresent(choice.ref)
		res.Image, res.State = choice.ref, runtime.ImagePresent
		return res, nil
	}
	if !ok && choice.ref == StaticRuntimeImage && !d.noStatic {
		if err := d.createStaticImage(ctx); err != nil {
			return res, scferr.Newf(scferr.ErrContainerInit, err, "cannot create image %s", StaticRuntimeImage)
		}
		res.Image, res.State = choice.ref, runtime.ImageCreated
		return res, nil
	}
	var pullErr error
	if d.pull != PullNever && !localImage(choice.ref) {
		if pullErr = d.pullImage(ctx, choice.ref, progress); pullErr == nil {
			d.markPresent(choice.ref)
			res.Image, res.State = choice.ref, runtime.ImagePulled
			return res, nil
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if ok { // PullAlways with a local copy: keep it
			d.logger.Warn("pull failed: using the local copy", "image", choice.ref, "err", pullErr)
			d.markPresent(choice.ref)
			res.Image, res.State = choice.ref, runtime.ImagePresent
			return res, nil
		}
	}
	if choice.fallback != "" {
		if ok, _ := d.imagePresent(ctx, choice.fallback); ok {
			level := slog.LevelWarn
			if progress != nil {
				level = slog.LevelInfo // the caller shows it
			}
			d.logger.Log(ctx, level, "image missing: using the local runtime image instead; its interpreter version may differ",
				"image", choice.ref, "instead", choice.fallback)
			res.Image, res.State = choice.fallback, runtime.ImageFallback
			return res, nil
		}
	}
	res.State = runtime.ImageUnavailable
	return res, unavailableError(rt, choice, d.pull, pullErr)
}

// unavailableError is the 445 for an image that cannot be had: it names the
// image and how to get it.
func unavailableError(rt string, choice imageChoice, pull PullPolicy, pullErr error) error {
	const build = "emulator images --build (or scripts/build-runtime-images.sh)"
	var how string
	switch {
	case localImage(choice.ref):
		how = "build it with " + build
	case choice.fallback != "":
		how = "docker pull " + choice.ref + ", or build " + choice.fallback + ", which stands in for it, with " + build
	default:
		how = "docker pull " + choice.ref + " (or build it under that name)"
	}
	msg := fmt.Sprintf("image %s for runtime %s is not available locally", choice.ref, rt)
	cause := runtime.ErrImageUnavailable
	switch {
	case pullErr != nil:
		msg += " and could not be pulled"
		cause = fmt.Errorf("%w: %w", runtime.ErrImageUnavailable, pullErr)
	case pull == PullNever && !localImage(choice.ref):
		msg += " (--pull=never)"
	}
	return scferr.Newf(scferr.ErrContainerInit, cause, "%s: get it with %s", msg, how)
}

// pullImage pulls ref, reporting progress to progress, or to the log when
// progress is nil.
func (d *Docker) pullImage(ctx context.Context, ref string, progress func(runtime.PullProgress)) error {
	if progress == nil {
		d.logger.Info("pulling image", "image", ref)
		progress = func(p runtime.PullProgress) {
			if p.Done && p.Err == nil {
				d.logger.Info("pulled image", "image", ref, "layers", p.Layers, "bytes", p.Bytes)
			}
		}
	}
	t := &pullTracker{image: ref, layers: make(map[string]*layerProgress), report: progress}
	progress(t.snapshot())
	err := d.api.pullImage(ctx, ref, t.event)
	p := t.snapshot()
	p.Done, p.Err = true, err
	progress(p)
	return err
}

// pullTracker sums a pull's layer events into PullProgress. The daemon's
// events arrive in order on one stream, so it needs no lock.
type pullTracker struct {
	image  string
	layers map[string]*layerProgress
	report func(runtime.PullProgress)
}

type layerProgress struct {
	current, total int64
	done           bool
}

func (t *pullTracker) event(e pullEvent) {
	l := t.layers[e.layer]
	if l == nil {
		l = &layerProgress{}
		t.layers[e.layer] = l
	}
	switch e.status {
	case "Downloading":
		l.current, l.total = e.current, e.total
	case "Download complete", "Verifying Checksum", "Extracting":
		l.current = l.total
	case "Pull complete", "Already exists":
		l.current, l.done = l.total, true
	}
	t.report(t.snapshot())
}

func (t *pullTracker) snapshot() runtime.PullProgress {
	p := runtime.PullProgress{Image: t.image, Layers: len(t.layers)}
	for _, l := range t.layers {
		p.Bytes += l.current
		p.Total += l.total
		if l.done {
			p.LayersDone++
		}
	}
	return p
}

// ensureImage returns the image to run for choice (see resolve).
func (d *Docker) ensureImage(ctx context.Context, spec runtime.Spec, choice imageChoice) (string, error) {
	res, err := d.resolve(ctx, spec.Runtime, choice, nil)
	if err != nil {
		return "", err
	}
	if res.State == runtime.ImagePulled || res.State == runtime.ImageFallback || res.State == runtime.ImageCreated {
		d.logFirstUse(spec, res)
	}
	return res.Image, nil
}

// logFirstUse says once per function which image it got, when that took
// more than finding it: a function created after start-up is resolved at
// its first start, and this is where that shows.
func (d *Docker) logFirstUse(spec runtime.Spec, res runtime.ImageResolution) {
	key := spec.Namespace + "/" + spec.Function + "\x00" + res.Image
	d.mu.Lock()
	first := !d.warned[key]
	d.warned[key] = true
	d.mu.Unlock()
	if first {
		d.logger.Info("function image resolved", "function", spec.Function, "runtime", spec.Runtime,
			"wanted", res.Wanted, "image", res.Image, "state", string(res.State))
	}
}
