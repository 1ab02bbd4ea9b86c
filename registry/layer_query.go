package registry

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Layers returns every layer with a version or a folder, sorted by name.
func (r *Registry) Layers() []Layer {
	st := r.snapshotState()
	out := make([]Layer, 0, len(st.layers))
	for _, name := range slices.Sorted(maps.Keys(st.layers)) {
		l := st.layers[name]
		if len(l.versions) == 0 && l.source == "" {
			continue
		}
		n, _ := l.newest()
		out = append(out, Layer{Name: name, Source: l.source, Newest: cloneLayerVersion(n)})
	}
	return out
}

func (r *Registry) layerLocked(name string) (Layer, error) {
	l, ok := r.st.Load().layers[name]
	if !ok {
		return Layer{}, fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	n, _ := l.newest()
	return Layer{Name: name, Source: l.source, Newest: cloneLayerVersion(n)}, nil
}

// LayerVersions returns the versions of a layer, ascending. Errors wrap
// ErrLayerNotFound.
func (r *Registry) LayerVersions(name string) ([]LayerVersion, error) {
	l, ok := r.snapshotState().layers[name]
	if !ok || (len(l.versions) == 0 && l.source == "") {
		return nil, fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	out := make([]LayerVersion, 0, len(l.versions))
	for _, n := range slices.Sorted(maps.Keys(l.versions)) {
		out = append(out, cloneLayerVersion(l.versions[n]))
	}
	return out, nil
}

// LayerVersion returns one version. Errors wrap ErrLayerNotFound or
// ErrLayerVersionNotFound.
func (r *Registry) LayerVersion(name string, version int) (LayerVersion, error) {
	l, ok := r.snapshotState().layers[name]
	if !ok {
		return LayerVersion{}, fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	v, ok := l.versions[version]
	if !ok {
		return LayerVersion{}, fmt.Errorf("%w: version %d of layer %s", ErrLayerVersionNotFound, version, name)
	}
	return cloneLayerVersion(v), nil
}

// DeleteLayerVersion deletes one layer version; its number is never reused.
// It is refused with ErrLayerInUse while a function version pins it, or
// while it is the last version of a layer without a folder that a $LATEST
// lists: deleting it would break a function that runs today. (The platform
// answers ResourceInUse.LayerVersion for a version in use.) Other errors
// wrap ErrLayerNotFound or ErrLayerVersionNotFound.
func (r *Registry) DeleteLayerVersion(name string, version int) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	st := r.st.Load()
	l, ok := st.layers[name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrLayerNotFound, name)
	}
	if _, ok := l.versions[version]; !ok {
		return fmt.Errorf("%w: version %d of layer %s", ErrLayerVersionNotFound, version, name)
	}
	next := l.clone()
	delete(next.versions, version)
	_, hasNewest := next.newest()
	var users []string
	all := st.stored() // a parked function's versions come back with it
	for _, key := range slices.Sorted(maps.Keys(all)) {
		f := all[key]
		vs := append([]Version{f.fn.Latest}, f.sortedVersions()...)
		for _, v := range vs {
			for _, ref := range v.Config.Layers {
				pinned := ref.Name == name && ref.Version == version
				orphaned := ref.Name == name && ref.Version == 0 && !hasNewest && next.view.CodeHash == ""
				if pinned || orphaned {
					users = append(users, key+":"+v.Version+parkedNote(f))
				}
			}
		}
	}
	if len(users) > 0 {
		return fmt.Errorf("%w: version %d of layer %s is used by %s", ErrLayerInUse, version, name, strings.Join(users, ", "))
	}
	if err := r.commitLayerLocked(next); err != nil {
		return err
	}
	r.log.Info("layer version deleted", "layer", name, "version", version)
	return nil
}

// pinLayersLocked returns refs with every unpinned reference set to the
// layer's newest version, and the snapshots they resolve to, for Publish.
func (st *state) pinLayers(refs []LayerRef) ([]LayerRef, []LayerUse, error) {
	uses, err := st.resolveLayers(refs, false)
	if err != nil {
		return nil, nil, err
	}
	pinned := slices.Clone(refs)
	for i := range pinned {
		pinned[i].Version = uses[i].Version
	}
	return pinned, uses, nil
}

// stalePublishedLayers returns the layers with a folder that refs follow
// and whose folder content is not yet a version: Publish publishes them
// first, so that what $LATEST ran is what the new version pins.
func (st *state) stalePublishedLayers(refs []LayerRef) []LayerSpec {
	var out []LayerSpec
	for _, ref := range refs {
		l, ok := st.layers[ref.Name]
		if !ok || ref.Version != 0 || l.view.CodeHash == "" {
			continue
		}
		if n, ok := l.newest(); !ok || n.CodeHash != l.view.CodeHash {
			out = append(out, LayerSpec{Name: l.name, Source: l.source, Runtimes: l.view.Runtimes})
		}
	}
	return out
}

func cloneLayerVersion(v LayerVersion) LayerVersion {
	v.Runtimes = slices.Clone(v.Runtimes)
	return v
}

// diskLayer is a layer in state.json; trees are derived from code hashes.
type diskLayer struct {
	Name        string             `json:"name"`
	Source      string             `json:"source,omitempty"`
	NextVersion int                `json:"nextVersion"`
	Versions    []diskLayerVersion `json:"versions"`
	View        *diskLayerVersion  `json:"view,omitempty"`
}

type diskLayerVersion struct {
	Version     int       `json:"version"`
	Runtimes    []string  `json:"runtimes,omitempty"`
	Description string    `json:"description,omitempty"`
	License     string    `json:"license,omitempty"`
	CodeHash    string    `json:"codeHash"`
	CodeSize    int64     `json:"codeSize"`
	AddTime     time.Time `json:"addTime"`
}

func toDiskLayerVersion(v LayerVersion) diskLayerVersion {
	return diskLayerVersion{Version: v.Version, Runtimes: v.Runtimes, Description: v.Description, License: v.License,
		CodeHash: v.CodeHash, CodeSize: v.CodeSize, AddTime: v.AddTime}
}

func (r *Registry) fromDiskLayerVersion(name string, d diskLayerVersion) LayerVersion {
	return LayerVersion{Name: name, Version: d.Version, Runtimes: d.Runtimes, Description: d.Description, License: d.License,
		CodeHash: d.CodeHash, CodeDir: r.store.treePath(d.CodeHash), CodeSize: d.CodeSize, AddTime: d.AddTime}
}

func toDiskLayers(st *state) []diskLayer {
	var out []diskLayer
	for _, name := range slices.Sorted(maps.Keys(st.layers)) {
		l := st.layers[name]
		dl := diskLayer{Name: name, Source: l.source, NextVersion: l.next, Versions: []diskLayerVersion{}}
		for _, n := range slices.Sorted(maps.Keys(l.versions)) {
			dl.Versions = append(dl.Versions, toDiskLayerVersion(l.versions[n]))
		}
		if l.view.CodeHash != "" {
			v := toDiskLayerVersion(l.view)
			dl.View = &v
		}
		out = append(out, dl)
	}
	return out
}

// loadLayers reads the layers and namespaces of ds into st.
func (r *Registry) loadLayers(st *state, ds diskState) error {
	for _, dl := range ds.Layers {
		if _, dup := st.layers[dl.Name]; dup || CheckLayerName(dl.Name) != nil {
			return fmt.Errorf("layer %q is invalid or listed twice", dl.Name)
		}
		l := &layerState{name: dl.Name, source: dl.Source, next: max(dl.NextVersion, 1), versions: map[int]LayerVersion{}}
		for _, dv := range dl.Versions {
			if dv.Version <= 0 || dv.Version >= l.next {
				return fmt.Errorf("layer %s: version %d is not a number below the counter %d", dl.Name, dv.Version, l.next)
			}
			l.versions[dv.Version] = r.fromDiskLayerVersion(dl.Name, dv)
		}
		if dl.View != nil {
			l.view = r.fromDiskLayerVersion(dl.Name, *dl.View)
			l.view.Version = 0
		}
		st.layers[dl.Name] = l
	}
	for _, ns := range ds.Namespaces {
		if err := CheckNamespaceName(ns.Name); err != nil || ns.Name == DefaultNamespace {
			return fmt.Errorf("namespace %q is invalid", ns.Name)
		}
		st.namespaces[ns.Name] = ns
	}
	return nil
}

// resolveLoaded resolves the layers of a loaded function's versions. A layer
// that cannot be found leaves the version without it and is logged: the
// registry never deletes a layer version in use, so only a hand-edited
// state gets here.
func (r *Registry) resolveLoaded(st *state, f *fnState) {
	resolve := func(v Version, latest bool) Version {
		uses, err := st.resolveLayers(v.Config.Layers, latest)
		if err != nil {
			r.log.Warn("function version lists a missing layer", "function", f.fn.Name, "version", v.Version, "err", err)
		}
		v.Layers = uses
		return v
	}
	f.fn.Latest = resolve(f.fn.Latest, true)
	for n, v := range f.versions {
		f.versions[n] = resolve(v, false)
	}
	if st.namespaces != nil && f.fn.Namespace != DefaultNamespace {
		if _, ok := st.namespaces[f.fn.Namespace]; !ok {
			st.namespaces[f.fn.Namespace] = Namespace{Name: f.fn.Namespace, AddTime: f.fn.AddTime, ModTime: f.fn.AddTime}
		}
	}
}
