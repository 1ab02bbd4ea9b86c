package main

import (
	"context"
	"fmt"

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
