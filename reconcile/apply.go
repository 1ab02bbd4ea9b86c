package reconcile

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/watch"
)

// apply checks cur against the running emulator, then defines the added
// and changed functions (restoring parked ones), swaps the gateway's routes,
// parks the removed functions, noting both in rep, and applies triggers. A refused check
// changes nothing; a failed definition (a build that fails) undoes the
// definitions made before it.
func (r *Reconciler) apply(ctx context.Context, cur *config.File, rep *Report) error {
	ch := rep.Changes
	if err := r.check(cur, ch); err != nil {
		return err
	}
	var undo []func()
	rollback := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	cleanup := context.WithoutCancel(ctx)
	// Layers first: an added function may list an added layer. A layer
	// version published here stays when a later step is refused; it is
	// harmless, as a publish of an unchanged folder is.
	if err := r.applyLayers(ctx, cur, ch); err != nil {
		return err
	}
	reg := r.o.Registry
	for _, f := range cur.Functions {
		prev, changed := changedFrom(ch, f.Name)
		if !changed && !isAdded(ch, f.Name) || triggersOnly(ch, f.Name) {
			continue // untouched: no build, no new snapshot
		}
		key := registry.Key(f.Namespace, f.Name)
		_, missing := reg.Function(key)
		parked, wasParked := reg.ParkedFunction(key)
		spec := r.o.Spec(f)
		// Judged now, not at the check: a function restored earlier in
		// this loop may hold a route by now.
		leftOut, err := leaveOut(reg, r.o.Path, cur, f, applies(cur, ch))
		if err != nil {
			rollback()
			return err
		}
		spec.LeaveOut = names(leftOut)
		if err := reg.Define(ctx, spec); err != nil {
			rollback()
			return DefineError(reg, r.o.Path, f, err)
		}
		if wasParked {
			if rep.Restored == nil {
				rep.Restored = map[string]registry.Parked{}
			}
			rep.Restored[f.Name] = parked
			if len(leftOut) > 0 {
				if rep.LeftOut == nil {
					rep.LeftOut = map[string][]Conflict{}
				}
				rep.LeftOut[f.Name] = leftOut
			}
			// Undone by parking it again, which also enables the triggers
			// left out: a refused edit loses nothing.
			undo = append(undo, func() {
				delete(rep.Restored, f.Name)
				delete(rep.LeftOut, f.Name)
				if _, err := reg.Park(cleanup, key); err != nil {
					r.o.Logger.Warn("cannot park the function again", "function", key, "err", err)
				}
			})
		} else if changed {
			undo = append(undo, func() { r.undoDefine(cleanup, prev) })
			if prev.Source != f.Source {
				r.rewatch(f.Name, f.Source)
				undo = append(undo, func() { r.rewatch(f.Name, prev.Source) })
			}
		} else if missing != nil {
			undo = append(undo, func() { _ = reg.Delete(cleanup, key) })
		}
	}
	if err := r.o.Routes.Serve(cur); err != nil {
		rollback()
		return fmt.Errorf("%s: services: %w", r.o.Path, err)
	}
	// After the routes: no request is routed to a function being parked;
	// before the triggers: the routes of its triggers are free for the
	// file's (clb.go).
	rep.Parked = r.park(cleanup, ch.Removed)
	// Triggers after the functions and their aliases they fire through.
	if err := r.applyTriggers(cur, ch); err != nil {
		r.o.Logger.Warn("triggers not applied", "err", err)
		return err
	}
	// The docker runtime gets the images of new and changed functions now,
	// with the start-up rules, rather than at their first request.
	for _, f := range cur.Functions {
		if _, changed := changedFrom(ch, f.Name); changed || isAdded(ch, f.Name) {
			r.o.Resolve(f.Name)
		}
	}
	return nil
}

// undoDefine puts a function's previous definition back after a later part
// of the edit failed.
func (r *Reconciler) undoDefine(ctx context.Context, prev config.Function) {
	if err := r.o.Registry.Define(ctx, r.o.Spec(prev)); err != nil {
		r.o.Logger.Warn("cannot restore the function's previous definition", "function", prev.Name, "err", err)
	}
}

// rewatch points the source watcher of a function at a new folder.
func (r *Reconciler) rewatch(name, dir string) {
	if err := r.o.Watcher.Remove(name); err != nil && !errors.Is(err, watch.ErrNotWatched) {
		r.o.Logger.Warn("cannot stop watching", "function", name, "err", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := r.o.Watcher.Add(name, dir); err != nil && !errors.Is(err, watch.ErrExists) {
		r.o.Logger.Warn("cannot watch the function's source", "function", name, "err", err)
	}
}

// park parks the functions an edit of the config removed (see
// registry/park.go: a function that leaves the config is parked, never
// deleted). The edit is applied already, so a failure is logged, not
// returned: the function then stays served, and nothing is lost either way.
func (r *Reconciler) park(ctx context.Context, removed []config.Function) map[string]registry.Parked {
	out := map[string]registry.Parked{}
	for _, f := range removed {
		key := registry.Key(f.Namespace, f.Name)
		p, err := r.o.Registry.Park(ctx, key)
		switch {
		case err == nil:
			out[f.Name] = p
		case errors.Is(err, registry.ErrFunctionNotFound), errors.Is(err, registry.ErrNotParkable):
			// Deleted through the API meanwhile, or the API owns the name.
		default:
			r.o.Logger.Warn("cannot park a function removed from the config; it stays served", "function", key, "err", err)
		}
	}
	return out
}

// LayerWatchPrefix sets a layer's folder apart from function folders in the
// one source watcher: no function name has a colon.
const LayerWatchPrefix = "layer:"

// WatchLayers watches the folders of config layers under
// LayerWatchPrefix+name, as at start-up.
func (r *Reconciler) WatchLayers(ls []config.Layer) {
	for _, l := range ls {
		r.watchLayer(l)
	}
}

func (r *Reconciler) watchLayer(l config.Layer) {
	if err := r.o.Watcher.Add(LayerWatchPrefix+l.Name, l.Source); err != nil && !errors.Is(err, watch.ErrExists) {
		r.o.Logger.Warn("cannot watch the layer's folder", "layer", l.Name, "err", err)
	}
}

func (r *Reconciler) unwatchLayer(name string) {
	if err := r.o.Watcher.Remove(LayerWatchPrefix + name); err != nil && !errors.Is(err, watch.ErrNotWatched) {
		r.o.Logger.Warn("cannot stop watching the layer's folder", "layer", name, "err", err)
	}
}

// applyLayers brings the layers of a config edit into effect before the
// functions that may list them: added and changed layers are defined (a
// changed folder becomes a new version) and watched, removed ones are no
// longer watched. The registry keeps their versions, which published
// function versions may pin.
func (r *Reconciler) applyLayers(ctx context.Context, cur *config.File, ch config.Changes) error {
	if !ch.LayersDiffer() {
		return nil
	}
	for _, l := range cur.Layers {
		if !slices.Contains(ch.LayersAdded, l.Name) && !slices.Contains(ch.LayersChanged, l.Name) {
			continue
		}
		spec := registry.LayerSpec{Name: l.Name, Source: l.Source, Runtimes: l.Runtimes, Description: l.Description}
		if _, err := r.o.Registry.DefineLayer(ctx, spec); err != nil {
			return fmt.Errorf("%s:%d: layer %s: %w", cur.Path, l.Line, l.Name, err)
		}
		r.unwatchLayer(l.Name) // the folder may have moved
		r.watchLayer(l)
	}
	for _, name := range ch.LayersRemoved {
		r.unwatchLayer(name)
	}
	return nil
}
