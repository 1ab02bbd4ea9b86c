package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/platform"
)

// Refresh reports the outcome of RefreshLatest.
type Refresh struct {
	Latest       Version  // $LATEST after the call
	Previous     Version  // $LATEST before the call; equal to Latest when nothing changed
	Changed      bool     // the code hash changed and Latest replaced Previous
	BuildOutputs []string // paths relative to Source written or changed by the build, sorted
}

// snap is a stored, materialised snapshot of a source tree.
type snap struct {
	hash    string
	dir     string
	size    int64
	outputs []string
}

// take builds (when build is set) and snapshots src. It runs without mu; the
// caller holds the function's lock.
func (r *Registry) take(ctx context.Context, name, src, build string) (snap, error) {
	var s snap
	if build != "" {
		out, err := r.runBuild(ctx, name, src, build)
		if err != nil {
			return snap{}, err
		}
		s.outputs = out
	}
	if err := ctx.Err(); err != nil {
		return snap{}, err
	}
	m, wroteObjects, err := r.store.snapshot(src)
	if err != nil {
		return snap{}, err
	}
	hash, wroteTree, err := r.store.commit(m)
	if err != nil {
		return snap{}, err
	}
	if wroteObjects || wroteTree {
		if err := r.store.flush(); err != nil {
			return snap{}, err
		}
	}
	s.hash = hash
	s.dir, s.size = r.store.treePath(s.hash), m.size()
	return s, nil
}

// Define creates function spec.Name, or updates the source, build and
// $LATEST configuration of an existing one (published versions keep their
// frozen configuration). A parked function of that name is restored with
// its versions, aliases and triggers (those in spec.LeaveOut disabled),
// then updated likewise; subscribers get ChangeFunctionRestored after
// ChangeDefined. It makes sure $DEFAULT exists, creates the aliases of
// spec that do not exist yet (existing state wins), and takes the first
// $LATEST snapshot, running the build. It commits all of that at once or
// nothing, then notifies ChangeDefined and, when an existing function's
// $LATEST code or configuration changed, ChangeLatest.
//
// Errors wrap ErrInvalidConfig, ErrInvalidAliasName, ErrInvalidRouting,
// ErrAliasExists, ErrVersionNotFound or ErrBuildFailed.
func (r *Registry) Define(ctx context.Context, spec FunctionSpec) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	spec, err := normalizeSpec(spec)
	if err != nil {
		return err
	}
	// Syntax first, so that a typo in an alias does not cost a build.
	for _, a := range spec.Aliases {
		if _, err := Compile(a); err != nil {
			return fmt.Errorf("function %s: alias %s: %w", spec.Name, a.Name, err)
		}
	}
	// Subscribers are called after every lock is released, so that they may
	// call back into the registry, even for this function.
	defer r.flush()
	l := r.fnLock(spec.Name)
	l.Lock()
	defer l.Unlock()
	s, err := r.take(ctx, spec.Name, spec.Source, spec.Build)
	if err != nil {
		return fmt.Errorf("define %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.defineLocked(spec, s)
}

func (r *Registry) defineLocked(spec FunctionSpec, s snap) error {
	if r.closed {
		return ErrClosed
	}
	now := r.stamp()
	newLatest := Version{
		Function: spec.Name, Version: Latest, Config: spec.Config,
		CodeHash: s.hash, CodeDir: s.dir, CodeSize: s.size, ModTime: now,
	}
	changes := []Change{{Kind: ChangeDefined, Function: spec.Name}}
	var f *fnState
	cur, existed := r.st.Load().fns[spec.Name]
	parked, restored := r.st.Load().parked[spec.Name]
	restored = restored && !existed
	if restored {
		cur, existed = parked, true
		changes = append(changes, Change{Kind: ChangeFunctionRestored, Function: spec.Name})
	}
	if existed {
		f = cur.clone()
		f.parkedAt = time.Time{}
		if restored {
			r.leaveOutLocked(f, spec.LeaveOut, now)
		}
		newLatest.AddTime = f.fn.AddTime
		old := f.fn.Latest
		if old.CodeHash != s.hash || !reflect.DeepEqual(old.Config, spec.Config) {
			f.fn.Latest = newLatest
			changes = append(changes, Change{Kind: ChangeLatest, Function: spec.Name, Version: Latest, Previous: old})
		}
	} else {
		newLatest.AddTime = now
		f = &fnState{
			fn:       Function{Name: spec.Name, AddTime: now, Latest: newLatest},
			next:     1,
			versions: map[string]Version{},
			aliases:  map[string]Alias{},
		}
	}
	f.fn.Namespace, f.fn.Source, f.fn.Build, f.fn.Config = spec.Namespace, spec.Source, spec.Build, spec.Config
	f.fn.ModTime = now

	declared := make(map[string]bool, len(spec.Aliases))
	for _, a := range spec.Aliases {
		if declared[a.Name] {
			return fmt.Errorf("%w: function %s declares alias %s twice", ErrAliasExists, spec.Name, a.Name)
		}
		declared[a.Name] = true
	}
	if _, ok := f.aliases[Default]; !ok {
		def := Alias{Name: Default, FunctionVersion: Latest}
		for _, a := range spec.Aliases {
			if a.Name == Default {
				def = a
			}
		}
		a, err := prepareAlias(f, def)
		if err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
		a.AddTime, a.ModTime = now, now
		f.aliases[Default] = a
	}
	for _, a := range spec.Aliases {
		if _, ok := f.aliases[a.Name]; ok {
			continue
		}
		if err := checkCreatable(a.Name); err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
		a, err := prepareAlias(f, a)
		if err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
		a.AddTime, a.ModTime = now, now
		f.aliases[a.Name] = a
	}
	if existed && !restored && r.sameLocked(cur, f) {
		// `up` defines every function of the config: one that is as the
		// state has it costs no state write (a full one each, with many
		// versions, made start-up quadratic).
		r.subMu.Lock()
		r.pending = append(r.pending, changes...)
		r.subMu.Unlock()
		return nil
	}
	return r.commitLocked(f, changes...)
}

// sameLocked reports whether next, a redefinition of cur, changes nothing
// that is stored or routed: $LATEST, its layers, the declaration, aliases.
func (r *Registry) sameLocked(cur, next *fnState) bool {
	a, b := cur.fn, next.fn
	if a.Latest.CodeHash != b.Latest.CodeHash || !reflect.DeepEqual(a.Latest.Config, b.Latest.Config) ||
		a.Namespace != b.Namespace || a.Source != b.Source || a.Build != b.Build ||
		!reflect.DeepEqual(a.Config, b.Config) || len(cur.aliases) != len(next.aliases) {
		return false
	}
	uses, err := r.st.Load().resolveLayers(b.Latest.Config.Layers, true)
	return err == nil && reflect.DeepEqual(uses, a.Latest.Layers)
}

// normalizeSpec validates spec and returns it with defaults applied and its
// maps and slices copied.
func normalizeSpec(spec FunctionSpec) (FunctionSpec, error) {
	bad := func(format string, args ...any) (FunctionSpec, error) {
		return FunctionSpec{}, fmt.Errorf("%w: function %s: %s", ErrInvalidConfig, spec.Name, fmt.Sprintf(format, args...))
	}
	if err := platform.CheckFunctionName(spec.Name); err != nil {
		return FunctionSpec{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	spec.Namespace = namespaceOrDefault(spec.Namespace)
	if err := CheckNamespaceName(spec.Namespace); err != nil {
		return FunctionSpec{}, fmt.Errorf("%w: function %s: %v", ErrInvalidConfig, spec.Name, err)
	}
	if err := checkLayerRefs(spec.Config.Layers); err != nil {
		return bad("%v", err)
	}
	c := spec.Config
	switch {
	case c.Type != TypeEvent && c.Type != TypeHTTP:
		return bad("type %q must be %s or %s", c.Type, TypeEvent, TypeHTTP)
	case c.Runtime == "":
		return bad("runtime is empty")
	case c.MemorySize <= 0:
		return bad("memorySize %d must be positive", c.MemorySize)
	case c.Timeout <= 0:
		return bad("timeout %d must be positive", c.Timeout)
	case c.Concurrency < 0 || c.Concurrency > MaxConcurrency:
		return bad("concurrency %d must be 1..%d", c.Concurrency, MaxConcurrency)
	case c.Concurrency > 1 && c.Type != TypeHTTP:
		return bad("concurrency %d needs a web function (type http): event functions take one request per instance", c.Concurrency)
	}
	if spec.Source == "" {
		return bad("source is empty")
	}
	src, err := filepath.Abs(spec.Source)
	if err != nil {
		return bad("source %s: %v", spec.Source, err)
	}
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return bad("source %s is not an existing directory", spec.Source)
	}
	spec.Source = src
	spec.Config = cloneConfig(c)
	aliases := make([]Alias, len(spec.Aliases))
	for i, a := range spec.Aliases {
		aliases[i] = cloneAlias(a)
	}
	spec.Aliases = aliases
	spec.Name = Key(spec.Namespace, spec.Name)
	return spec, nil
}

// RefreshLatest runs the function's build, snapshots its source and, when
// the code hash differs from the current $LATEST, makes the snapshot the new
// $LATEST and notifies ChangeLatest. When the build fails, $LATEST stays as
// it was and the error wraps ErrBuildFailed with the end of the output.
func (r *Registry) RefreshLatest(ctx context.Context, name string) (Refresh, error) {
	if err := r.checkOpen(); err != nil {
		return Refresh{}, err
	}
	if _, err := r.Function(name); err != nil {
		return Refresh{}, err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	return r.refresh(ctx, name)
}

// refresh is RefreshLatest for a caller holding the function's lock.
func (r *Registry) refresh(ctx context.Context, name string) (Refresh, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return Refresh{}, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	s, err := r.take(ctx, name, f.fn.Source, f.fn.Build)
	if err != nil {
		return Refresh{}, fmt.Errorf("refresh %s: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.fnLocked(name)
	if err != nil {
		return Refresh{}, err
	}
	ref := Refresh{Latest: cloneVersion(cur.fn.Latest), Previous: cloneVersion(cur.fn.Latest), BuildOutputs: s.outputs}
	if cur.fn.Latest.CodeHash == s.hash {
		return ref, nil
	}
	now := r.stamp()
	next := cur.clone()
	next.fn.Latest = Version{
		Function: name, Version: Latest, Config: cur.fn.Config,
		CodeHash: s.hash, CodeDir: s.dir, CodeSize: s.size,
		AddTime: cur.fn.AddTime, ModTime: now, Layers: cur.fn.Latest.Layers,
	}
	next.fn.ModTime = now
	if err := r.commitLocked(next, Change{Kind: ChangeLatest, Function: name, Version: Latest, Previous: cur.fn.Latest}); err != nil {
		return Refresh{}, err
	}
	r.log.Info("$LATEST reloaded", "function", name, "code_hash", s.hash, "outputs", len(s.outputs))
	ref.Latest, ref.Changed = cloneVersion(next.fn.Latest), true
	return ref, nil
}

// Publish refreshes $LATEST, so that a save the file watcher has not seen yet
// is included, and freezes it into the next numbered version with a copy of
// the $LATEST configuration. The tree is shared, not copied.
//
// Publishing always creates a new number, even when the code and
// configuration equal the last version's: the platform leaves this open, and
// a number per publish is what a release script that publishes and then
// points an alias at the result expects; the duplicate costs no disk.
//
// Errors wrap ErrFunctionNotFound, ErrVersionLimit or ErrBuildFailed.
func (r *Registry) Publish(ctx context.Context, name, description string) (Version, error) {
	if _, err := r.Function(name); err != nil {
		return Version{}, err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	// Only Publish adds versions and it holds the function's lock, so this
	// check stays true until the commit below; doing it first keeps a
	// refused publish from reloading $LATEST.
	if err := r.checkVersionLimit(name); err != nil {
		return Version{}, err
	}
	if _, err := r.refresh(ctx, name); err != nil {
		return Version{}, fmt.Errorf("publish %s: %w", name, err)
	}
	if err := r.publishStaleLayers(ctx, name); err != nil {
		return Version{}, fmt.Errorf("publish %s: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.fnLocked(name)
	if err != nil {
		return Version{}, err
	}
	pinned, uses, err := r.st.Load().pinLayers(cur.fn.Latest.Config.Layers)
	if err != nil {
		return Version{}, fmt.Errorf("publish %s: %w", name, err)
	}
	if len(cur.versions) >= r.maxVersions {
		return Version{}, fmt.Errorf("%w: function %s has %d versions, the limit", ErrVersionLimit, name, len(cur.versions))
	}
	now := r.stamp()
	next := cur.clone()
	v := cur.fn.Latest
	v.Version = strconv.Itoa(cur.next)
	v.Config = cloneConfig(v.Config)
	v.Config.Layers, v.Layers = pinned, uses
	v.Description = description
	v.AddTime, v.ModTime = now, now
	next.versions[v.Version] = v
	next.next++
	if err := r.commitLocked(next, Change{Kind: ChangePublished, Function: name, Version: v.Version}); err != nil {
		return Version{}, err
	}
	r.log.Info("version published", "function", name, "version", v.Version, "code_hash", v.CodeHash)
	return cloneVersion(v), nil
}

func (r *Registry) checkVersionLimit(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	if len(cur.versions) >= r.maxVersions {
		return fmt.Errorf("%w: function %s has %d versions, the limit", ErrVersionLimit, name, len(cur.versions))
	}
	return nil
}
