package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
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
