package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"time"
)

// Sentinels of layers.
var (
	// ErrLayerNotFound means no layer has that name.
	ErrLayerNotFound = errors.New("layer not found")
	// ErrLayerVersionNotFound means the layer has no such version.
	ErrLayerVersionNotFound = errors.New("layer version not found")
	// ErrLayerInUse means a function version uses the layer version.
	ErrLayerInUse = errors.New("layer version is in use")
	// ErrInvalidLayer wraps every layer validation error.
	ErrInvalidLayer = errors.New("invalid layer")
)

// tmpLayerPrefix names the scratch folders a zip is unpacked into before it
// is snapshotted; Open removes those a crash left.
const tmpLayerPrefix = ".tmp-layer-"

// LayerRef is one layer a function lists. Version 0 means the newest: for
// $LATEST the layer folder's current content when the layer has one, else
// its newest version; Publish pins it to a number.
type LayerRef struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
}

// LayerUse is a LayerRef resolved to a snapshot.
type LayerUse struct {
	Name     string
	Version  int // 0: the layer folder's current content ($LATEST only)
	CodeHash string
	CodeDir  string
}

// LayerVersion is one immutable snapshot of a layer.
type LayerVersion struct {
	Name        string
	Version     int
	Runtimes    []string
	Description string
	License     string
	CodeHash    string
	CodeDir     string
	CodeSize    int64
	AddTime     time.Time
}

// Layer is a layer with its newest version (zero Version when all were
// deleted).
type Layer struct {
	Name   string
	Source string // the folder from emulator.yaml, "" for a layer from the API
	Newest LayerVersion
}

// LayerSpec publishes a layer version: from Source, or from what a FillFunc
// writes.
type LayerSpec struct {
	Name        string
	Source      string
	Runtimes    []string
	Description string
	License     string
}

// layerState is one layer as committed; immutable like fnState.
type layerState struct {
	name     string
	source   string // folder from emulator.yaml; "" when published through the API only
	next     int
	versions map[int]LayerVersion
	view     LayerVersion // snapshot of source, Version 0; zero when source is ""
}

func (l *layerState) clone() *layerState {
	c := *l
	c.versions = maps.Clone(l.versions)
	return &c
}

// newest returns the highest version, ok false when there is none.
func (l *layerState) newest() (LayerVersion, bool) {
	if len(l.versions) == 0 {
		return LayerVersion{}, false
	}
	return l.versions[slices.Max(slices.Collect(maps.Keys(l.versions)))], true
}

func (st *state) withLayer(l *layerState) *state {
	ls := maps.Clone(st.layers)
	if ls == nil {
		ls = map[string]*layerState{}
	}
	ls[l.name] = l
	return &state{fns: st.fns, layers: ls, namespaces: st.namespaces, parked: st.parked}
}

var layerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// CheckLayerName returns nil for a valid layer name (the platform's rule:
// 1 to 64 letters, digits, '-' or '_', starting with a letter).
func CheckLayerName(name string) error {
	if !layerName.MatchString(name) {
		return fmt.Errorf("%w: layer name %q must be 1 to 64 letters, digits, '-' or '_', starting with a letter", ErrInvalidLayer, name)
	}
	return nil
}

func checkLayerRefs(refs []LayerRef) error {
	seen := map[string]bool{}
	for _, ref := range refs {
		if err := CheckLayerName(ref.Name); err != nil {
			return err
		}
		if ref.Version < 0 {
			return fmt.Errorf("%w: layer %s version %d must be positive", ErrInvalidLayer, ref.Name, ref.Version)
		}
		if seen[ref.Name] {
			return fmt.Errorf("%w: layer %s is listed twice", ErrInvalidLayer, ref.Name)
		}
		seen[ref.Name] = true
	}
	return nil
}

// resolveLayers turns refs into snapshots. latest resolves unpinned refs as
// $LATEST does (the layer folder first); otherwise to the newest version.
func (st *state) resolveLayers(refs []LayerRef, latest bool) ([]LayerUse, error) {
	var out []LayerUse
	for _, ref := range refs {
		l, ok := st.layers[ref.Name]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrLayerNotFound, ref.Name)
		}
		var v LayerVersion
		switch {
		case ref.Version > 0:
			if v, ok = l.versions[ref.Version]; !ok {
				return nil, fmt.Errorf("%w: version %d of layer %s", ErrLayerVersionNotFound, ref.Version, ref.Name)
			}
		case latest && l.view.CodeHash != "":
			v = l.view
		default:
			if v, ok = l.newest(); !ok {
				return nil, fmt.Errorf("%w: layer %s has no version", ErrLayerVersionNotFound, ref.Name)
			}
		}
		out = append(out, LayerUse{Name: ref.Name, Version: v.Version, CodeHash: v.CodeHash, CodeDir: v.CodeDir})
	}
	return out, nil
}

// RunHash identifies what an instance of v runs: CodeHash alone without
// layers, else CodeHash plus a digest of the layer snapshots, so that a
// changed layer starts fresh instances.
func (v Version) RunHash() string {
	if len(v.Layers) == 0 {
		return v.CodeHash
	}
	h := sha256.New()
	for _, u := range v.Layers {
		h.Write([]byte(u.Name + "\x00" + u.CodeHash + "\n"))
	}
	return v.CodeHash + "+" + hex.EncodeToString(h.Sum(nil))[:12]
}

// LayerDirs returns the layer trees of v in order.
func (v Version) LayerDirs() []string {
	if len(v.Layers) == 0 {
		return nil
	}
	out := make([]string, len(v.Layers))
	for i, u := range v.Layers {
		out[i] = u.CodeDir
	}
	return out
}

// PublishLayer snapshots spec.Source, or the folder fill writes, as the
// next version of layer spec.Name (creating the layer) and returns it.
// $LATEST of functions that list the layer without a version moves to it
// (unless the layer has a folder from emulator.yaml, which $LATEST follows).
//
// Errors wrap ErrInvalidLayer, or whatever fill returned.
func (r *Registry) PublishLayer(ctx context.Context, spec LayerSpec, fill FillFunc) (LayerVersion, error) {
	if err := r.checkOpen(); err != nil {
		return LayerVersion{}, err
	}
	if err := CheckLayerName(spec.Name); err != nil {
		return LayerVersion{}, err
	}
	if (fill == nil) == (spec.Source == "") {
		return LayerVersion{}, fmt.Errorf("%w: layer %s: give a source folder or code, not both or neither", ErrInvalidLayer, spec.Name)
	}
	src := spec.Source
	if fill != nil {
		tmp, err := os.MkdirTemp(r.dir, tmpLayerPrefix)
		if err != nil {
			return LayerVersion{}, fmt.Errorf("publish layer %s: %w", spec.Name, err)
		}
		defer os.RemoveAll(tmp)
		if err := fill(tmp); err != nil {
			return LayerVersion{}, fmt.Errorf("publish layer %s: %w", spec.Name, err)
		}
		src = tmp
	}
	defer r.flush()
	l := r.layerLock(spec.Name)
	l.Lock()
	defer l.Unlock()
	s, err := r.take(ctx, spec.Name, src, "")
	if err != nil {
		return LayerVersion{}, fmt.Errorf("publish layer %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publishLayerLocked(spec, s)
}

func (r *Registry) publishLayerLocked(spec LayerSpec, s snap) (LayerVersion, error) {
	if r.closed {
		return LayerVersion{}, ErrClosed
	}
	cur, ok := r.st.Load().layers[spec.Name]
	if !ok {
		cur = &layerState{name: spec.Name, next: 1, versions: map[int]LayerVersion{}}
	}
	next := cur.clone()
	v := LayerVersion{
		Name: spec.Name, Version: next.next, Runtimes: slices.Clone(spec.Runtimes),
		Description: spec.Description, License: spec.License,
		CodeHash: s.hash, CodeDir: s.dir, CodeSize: s.size, AddTime: r.stamp(),
	}
	next.versions[v.Version] = v
	next.next++
	if err := r.commitLayerLocked(next); err != nil {
		return LayerVersion{}, err
	}
	r.log.Info("layer version published", "layer", spec.Name, "version", v.Version, "code_hash", s.hash)
	return v, nil
}

// layerLock serialises snapshots of one layer. Layer names share the lock
// table with function keys under a prefix no function key has.
func (r *Registry) layerLock(name string) interface {
	Lock()
	Unlock()
} {
	return r.fnLock("layer:" + name)
}

// commitLayerLocked commits layer l and re-resolves the $LATEST layers of
// every function that lists l without a version, notifying ChangeLatest for
// each one whose layers changed. The caller holds mu.
func (r *Registry) commitLayerLocked(l *layerState) error {
	next := r.st.Load().withLayer(l)
	tbl := r.table.Load()
	var changes []Change
	for _, name := range next.names() {
		f := next.fns[name]
		if !followsLayer(f.fn.Latest.Config.Layers, l.name) {
			continue
		}
		uses, err := next.resolveLayers(f.fn.Latest.Config.Layers, true)
		if err != nil {
			return fmt.Errorf("function %s: %w", name, err)
		}
		if slices.Equal(uses, f.fn.Latest.Layers) {
			continue
		}
		nf := f.clone()
		nf.fn.Latest.Layers = uses
		ft, err := buildFnTable(nf)
		if err != nil {
			return err
		}
		next, tbl = next.with(nf), tbl.with(name, ft)
		changes = append(changes, Change{Kind: ChangeLatest, Function: name, Version: Latest, Previous: cloneVersion(f.fn.Latest)})
	}
	if err := r.save(next); err != nil {
		return err
	}
	r.st.Store(next)
	r.table.Store(tbl)
	r.subMu.Lock()
	r.pending = append(r.pending, changes...)
	r.subMu.Unlock()
	return nil
}

// followsLayer reports whether refs list layer name without a version.
func followsLayer(refs []LayerRef, name string) bool {
	for _, ref := range refs {
		if ref.Name == name && ref.Version == 0 {
			return true
		}
	}
	return false
}
