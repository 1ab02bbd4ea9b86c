package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/watch"
)

// defineLayers snapshots the layers of emulator.yaml before the functions
// that list them are defined; a changed folder becomes a new version.
func defineLayers(ctx context.Context, reg *registry.Registry, file *config.File) error {
	for _, l := range file.Layers {
		spec := registry.LayerSpec{Name: l.Name, Source: l.Source, Runtimes: l.Runtimes, Description: l.Description}
		if _, err := reg.DefineLayer(ctx, spec); err != nil {
			return fmt.Errorf("%s:%d: layer %s: %w", file.Path, l.Line, l.Name, err)
		}
	}
	return nil
}

// layerRefs maps a config function's layers to the registry's references.
func layerRefs(in []config.LayerRef) []registry.LayerRef {
	var out []registry.LayerRef
	for _, r := range in {
		out = append(out, registry.LayerRef{Name: r.Name, Version: r.Version})
	}
	return out
}

// layerWatchPrefix sets a layer's folder apart from function folders in the
// one source watcher: no function name has a colon.
const layerWatchPrefix = "layer:"

func (a *App) watchLayers(ls []config.Layer) {
	for _, l := range ls {
		a.watchLayer(l)
	}
}

// watchLayer watches the folder of a config layer; an edit calls
// reloadLayer through the watcher's callback.
func (a *App) watchLayer(l config.Layer) {
	if err := a.watcher.Add(layerWatchPrefix+l.Name, l.Source); err != nil && !errors.Is(err, watch.ErrExists) {
		a.cfg.Logger.Warn("cannot watch the layer's folder", "layer", l.Name, "err", err)
	}
}

func (a *App) unwatchLayer(name string) {
	if err := a.watcher.Remove(layerWatchPrefix + name); err != nil && !errors.Is(err, watch.ErrNotWatched) {
		a.cfg.Logger.Warn("cannot stop watching the layer's folder", "layer", name, "err", err)
	}
}

// reloadLayer re-snapshots an edited layer folder: the $LATEST of every
// function that lists the layer without a version moves to it (the
// registry notifies the engine, whose next request starts fresh
// instances), with one RELOAD line per function. Published versions keep
// the layer versions they pinned.
func (a *App) reloadLayer(ctx context.Context, name string) error {
	start := time.Now()
	before := layerFollowers(a.reg.Functions(), name)
	changed, err := a.reg.RefreshLayer(ctx, name)
	took := time.Since(start)
	if err != nil || !changed {
		if err != nil {
			a.cfg.Events.LayerReload(LayerReport{Layer: name, Took: took, Err: err})
		}
		return err
	}
	after := layerFollowers(a.reg.Functions(), name)
	rep := LayerReport{Layer: name, Took: took}
	for _, fn := range slices.Sorted(maps.Keys(after)) {
		rep.Functions = append(rep.Functions, fn)
		rep.Previous, rep.Latest = cmp.Or(rep.Previous, before[fn]), after[fn]
	}
	a.cfg.Events.LayerReload(rep)
	return nil
}

// LayerReport is one reload of a layer folder: the $LATEST functions that
// now run its new content, and the layer's content hashes.
type LayerReport struct {
	Layer            string
	Functions        []string // sorted registry keys
	Previous, Latest string   // content hashes of the layer; "" when no function follows it
	Took             time.Duration
	Err              error
}

// layerFollowers maps the functions whose $LATEST runs the folder of layer
// name to the content hash they run.
func layerFollowers(fns []registry.Function, name string) map[string]string {
	out := map[string]string{}
	for _, f := range fns {
		for _, u := range f.Latest.Layers {
			if u.Name == name && u.Version == 0 {
				out[f.Name] = u.CodeHash
			}
		}
	}
	return out
}

// applyLayers brings the layers of a config edit into effect before the
// functions that may list them: added and changed layers are defined (a
// changed folder becomes a new version) and watched, removed ones are no
// longer watched. The registry keeps their versions, which published
// function versions may pin.
func (a *App) applyLayers(ctx context.Context, cur *config.File, ch config.Changes) error {
	if !ch.LayersDiffer() {
		return nil
	}
	for _, l := range cur.Layers {
		if !slices.Contains(ch.LayersAdded, l.Name) && !slices.Contains(ch.LayersChanged, l.Name) {
			continue
		}
		spec := registry.LayerSpec{Name: l.Name, Source: l.Source, Runtimes: l.Runtimes, Description: l.Description}
		if _, err := a.reg.DefineLayer(ctx, spec); err != nil {
			return fmt.Errorf("%s:%d: layer %s: %w", cur.Path, l.Line, l.Name, err)
		}
		a.unwatchLayer(l.Name) // the folder may have moved
		a.watchLayer(l)
	}
	for _, name := range ch.LayersRemoved {
		a.unwatchLayer(name)
	}
	return nil
}
