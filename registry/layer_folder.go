package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Layers declared by folder (emulator.yaml's layers:): defined at start-up,
// re-snapshotted on edits, published when a function version pins them.

// DefineLayer declares a layer whose content is the folder spec.Source (a
// layer of emulator.yaml). It snapshots the folder, which $LATEST of the
// functions that list the layer without a version then run, and publishes
// the snapshot as a new version when it differs from the newest one, so
// that `emulator up` after an edit makes a version a publish can pin.
func (r *Registry) DefineLayer(ctx context.Context, spec LayerSpec) (Layer, error) {
	if err := r.checkOpen(); err != nil {
		return Layer{}, err
	}
	if err := CheckLayerName(spec.Name); err != nil {
		return Layer{}, err
	}
	src, err := filepath.Abs(spec.Source)
	if err != nil {
		return Layer{}, fmt.Errorf("%w: layer %s: source %s: %v", ErrInvalidLayer, spec.Name, spec.Source, err)
	}
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return Layer{}, fmt.Errorf("%w: layer %s: source %s is not an existing directory", ErrInvalidLayer, spec.Name, spec.Source)
	}
	spec.Source = src
	defer r.flush()
	l := r.layerLock(spec.Name)
	l.Lock()
	defer l.Unlock()
	s, err := r.take(ctx, spec.Name, src, "")
	if err != nil {
		return Layer{}, fmt.Errorf("layer %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if newest, ok := r.layerNewestLocked(spec.Name); !ok || newest.CodeHash != s.hash {
		if _, err := r.publishLayerLocked(spec, s); err != nil {
			return Layer{}, err
		}
	}
	if err := r.setViewLocked(spec, s); err != nil {
		return Layer{}, err
	}
	return r.layerLocked(spec.Name)
}

// RefreshLayer re-snapshots the folder of a layer from emulator.yaml, the
// view $LATEST follows. It publishes nothing. It reports whether the
// content changed; the functions that follow the layer are notified with
// ChangeLatest. Errors wrap ErrLayerNotFound or ErrInvalidLayer (the layer
// has no folder).
func (r *Registry) RefreshLayer(ctx context.Context, name string) (bool, error) {
	if err := r.checkOpen(); err != nil {
		return false, err
	}
	cur, ok := r.snapshotState().layers[name]
	if !ok {
		return false, fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	if cur.source == "" {
		return false, fmt.Errorf("%w: layer %s has no source folder", ErrInvalidLayer, name)
	}
	defer r.flush()
	l := r.layerLock(name)
	l.Lock()
	defer l.Unlock()
	s, err := r.take(ctx, name, cur.source, "")
	if err != nil {
		return false, fmt.Errorf("refresh layer %s: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, ErrClosed
	}
	cur, ok = r.st.Load().layers[name]
	if !ok {
		return false, fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	if cur.view.CodeHash == s.hash {
		return false, nil
	}
	if err := r.setViewLocked(LayerSpec{Name: name, Source: cur.source}, s); err != nil {
		return false, err
	}
	r.log.Info("layer reloaded", "layer", name, "code_hash", s.hash)
	return true, nil
}

func (r *Registry) setViewLocked(spec LayerSpec, s snap) error {
	next := r.st.Load().layers[spec.Name].clone()
	next.source = spec.Source
	next.view = LayerVersion{Name: spec.Name, Runtimes: slices.Clone(spec.Runtimes), CodeHash: s.hash, CodeDir: s.dir, CodeSize: s.size, AddTime: r.stamp()}
	return r.commitLayerLocked(next)
}

func (r *Registry) layerNewestLocked(name string) (LayerVersion, bool) {
	l, ok := r.st.Load().layers[name]
	if !ok {
		return LayerVersion{}, false
	}
	return l.newest()
}

// publishStaleLayers publishes the folder content of the layers function
// key follows that is not a version yet. The caller holds the function's
// lock; layer locks come after function locks.
func (r *Registry) publishStaleLayers(ctx context.Context, key string) error {
	f, ok := r.snapshotState().fns[key]
	if !ok {
		return fmt.Errorf("%w: %s", ErrFunctionNotFound, key)
	}
	for _, spec := range r.snapshotState().stalePublishedLayers(f.fn.Latest.Config.Layers) {
		if err := r.publishFolderLayer(ctx, spec); err != nil {
			return err
		}
	}
	return nil
}

// publishFolderLayer publishes a layer's folder as its next version unless
// the newest version already has that content.
func (r *Registry) publishFolderLayer(ctx context.Context, spec LayerSpec) error {
	l := r.layerLock(spec.Name)
	l.Lock()
	defer l.Unlock()
	s, err := r.take(ctx, spec.Name, spec.Source, "")
	if err != nil {
		return fmt.Errorf("layer %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.layerNewestLocked(spec.Name); ok && n.CodeHash == s.hash {
		return nil
	}
	if _, err := r.publishLayerLocked(spec, s); err != nil {
		return err
	}
	return r.setViewLocked(spec, s)
}
