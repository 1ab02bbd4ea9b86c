package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// resolveImages resolves, before `up` serves, the image of every version of
// every function (pulling what is missing, with progress on the console), so
// that no request waits for a pull or fails for an image known to be
// missing. With --runtime docker an image that cannot be had stops the
// start-up (exit 2); with auto the function runs on the process runtime and
// the banner says so.
func (a *App) resolveImages(ctx context.Context) error {
	if a.docker == nil {
		return nil
	}
	for _, f := range a.reg.Functions() {
		if err := a.resolveFunction(ctx, f.Name, a.cfg.Events.Pull); err != nil {
			return err
		}
	}
	return nil
}

// resolveFunction resolves the images of one function's versions and
// reports each distinct one. progress receives pull progress (nil: logs).
func (a *App) resolveFunction(ctx context.Context, name string, progress func(runtime.PullProgress)) error {
	versions := []string{registry.Latest}
	if vs, err := a.reg.Versions(name); err == nil {
		for _, v := range vs {
			versions = append(versions, v.Version)
		}
	}
	seen := map[string]bool{}
	for _, v := range versions {
		spec, err := a.eng.Spec(name, v)
		if err != nil {
			continue // deleted meanwhile
		}
		onProcess := false
		var res runtime.ImageResolution
		if a.mixed != nil {
			var rt runtime.Runtime
			rt, res, err = a.mixed.Runs(ctx, spec, progress)
			onProcess = rt != runtime.Runtime(a.docker)
		} else {
			res, err = a.docker.ResolveImage(ctx, spec, progress)
		}
		if errors.Is(err, runtime.ErrImageUnavailable) {
			return usageError{fmt.Errorf("function %s: %w (or start with --runtime auto, which runs it on the process runtime)", name, err)}
		}
		if err != nil && res.Wanted != "" {
			return fmt.Errorf("function %s: image %s: %w", name, res.Wanted, err)
		}
		if err != nil || seen[res.Wanted] {
			continue // a code problem (no bootstrap): the first request reports it
		}
		seen[res.Wanted] = true
		if onProcess {
			a.setImageNote(name, "process runtime: image "+res.Wanted+" unavailable")
		}
		a.cfg.Events.Image(name, res, onProcess)
	}
	return nil
}

// setImageNote records what the banner says about a function's runtime.
func (a *App) setImageNote(function, note string) {
	a.notesMu.Lock()
	defer a.notesMu.Unlock()
	if a.imageNotes == nil {
		a.imageNotes = map[string]string{}
	}
	a.imageNotes[function] = note
}

// imageNote is what setImageNote recorded for function, or "".
func (a *App) imageNote(function string) string {
	a.notesMu.Lock()
	defer a.notesMu.Unlock()
	return a.imageNotes[function]
}

// resolveCreated resolves, in the background, the images of a function
// created or changed through the cloud API, with the start-up rules: the
// pull (logged) happens now rather than at its first request.
func (a *App) resolveCreated(name string) {
	if a.docker == nil || a.eng == nil {
		return
	}
	a.eng.Go(func(ctx context.Context) {
		if err := a.resolveFunction(ctx, name, nil); err != nil {
			a.cfg.Logger.Warn("image of a function created through the API", "function", name, "err", err)
		}
	})
}

// Pull shows the progress of an image pull: a line rewritten in place on a
// terminal, plain lines (start, each layer done, end) otherwise.
func (c *console) Pull(p runtime.PullProgress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	if c.pulls == nil {
		c.pulls = map[string]pullShown{}
	}
	shown := c.pulls[p.Image]
	if shown.start.IsZero() {
		shown.start = time.Now()
	}
	line := fmt.Sprintf("  %-14s %s %d/%d layers, %s", "pull", p.Image, p.LayersDone, p.Layers, fmtBytes(p.Bytes, p.Total))
	switch {
	case !p.Done && p.Layers == 0:
		line = fmt.Sprintf("  %-14s %s ...", "pull", p.Image)
	case p.Done && p.Err != nil:
		line = fmt.Sprintf("  %-14s %s %s", "pull", p.Image, red("failed: "+p.Err.Error()))
	case p.Done:
		line += " " + green("done") + " " + dim(fmtDuration(time.Since(shown.start)))
	}
	if c.live {
		end := ""
		if p.Done {
			end = "\n"
		}
		fmt.Fprintf(c.out, "\r\033[K%s%s", line, end)
	} else if p.Done || !shown.printed || p.LayersDone != shown.layersDone {
		fmt.Fprintln(c.out, line)
		shown.printed = true
	}
	shown.layersDone = p.LayersDone
	c.pulls[p.Image] = shown
	if p.Done {
		delete(c.pulls, p.Image)
	}
}

// pullShown is what the console showed of one pull.
type pullShown struct {
	start      time.Time
	printed    bool
	layersDone int
}

// Image prints how the image of one function was resolved at start-up.
func (c *console) Image(function string, res runtime.ImageResolution, onProcess bool) {
	var state string
	switch {
	case onProcess:
		state = yellow("unavailable: runs on the process runtime")
	case res.State == runtime.ImageFallback:
		state = yellow("missing: " + res.Image + " stands in")
	case res.State == runtime.ImagePulled || res.State == runtime.ImageCreated:
		state = green(string(res.State))
	default:
		state = green("ok")
	}
	c.printf("  %-14s image %s %s\n", function, res.Wanted, state)
}

func fmtBytes(n, total int64) string {
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	if total > 0 {
		return mb(n) + " of " + mb(total)
	}
	return mb(n)
}
