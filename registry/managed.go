package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/scf-emulator/emulator/platform"
)

// managedDir holds, per function created through the cloud API, the folder
// its $LATEST source lives in: <state>/functions/<name>/src.
const managedDir = "functions"

// Prefixes of the scratch folders beside a managed src folder.
const (
	tmpSrcPrefix = ".tmp-src-"
	oldSrcPrefix = ".old-src-"
)

// FillFunc writes a function's code into dir, an empty folder the registry
// created. An error leaves the function as it was and is returned wrapped.
type FillFunc func(dir string) error

// ManagedSourceDir returns the folder that holds the $LATEST source of a
// function whose code the registry owns (created with Create and a
// FillFunc): <state dir>/functions/<name>/src. Editing files there
// hot-reloads like any other source folder.
func (r *Registry) ManagedSourceDir(name string) string {
	return filepath.Join(r.dir, managedDir, managedDirName(name), "src")
}

// managedDirName is a key as one path element: "ns@name" outside the
// default namespace.
func managedDirName(key string) string {
	return strings.Replace(key, "/", "@", 1)
}

// isManaged reports whether f's source is the registry's own folder.
func (r *Registry) isManaged(f Function) bool {
	return f.Source == r.ManagedSourceDir(f.Name)
}

// Create creates function spec.Name like Define, but fails with
// ErrFunctionExists when the function exists. With a non-nil fill,
// spec.Source must be empty: fill writes the code into ManagedSourceDir,
// which becomes the function's source and is deleted with the function.
// It notifies ChangeDefined.
//
// Errors wrap ErrFunctionExists, ErrInvalidConfig, ErrInvalidAliasName,
// ErrInvalidRouting, ErrAliasExists, ErrVersionNotFound, ErrBuildFailed, or
// whatever fill returned.
func (r *Registry) Create(ctx context.Context, spec FunctionSpec, fill FillFunc) (err error) {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if err := platform.CheckFunctionName(spec.Name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if fill != nil && spec.Source != "" {
		return fmt.Errorf("%w: function %s: give a source folder or code to fill a managed one, not both", ErrInvalidConfig, spec.Name)
	}
	if !r.HasNamespace(spec.Namespace) {
		return fmt.Errorf("%w: %s", ErrNamespaceNotFound, spec.Namespace)
	}
	key := Key(spec.Namespace, spec.Name)
	defer r.flush()
	l := r.fnLock(key)
	l.Lock()
	defer l.Unlock()
	if _, err := r.Function(key); err == nil {
		return fmt.Errorf("%w: %s", ErrFunctionExists, key)
	}
	if _, ok := r.ParkedFunction(key); ok {
		return parkedError(key)
	}
	if fill != nil {
		root := filepath.Dir(r.ManagedSourceDir(key))
		// Leftovers of a deleted function or a crashed create: the function
		// does not exist, so nothing uses them.
		if err := os.RemoveAll(root); err != nil {
			return fmt.Errorf("create %s: %w", spec.Name, err)
		}
		defer func() {
			if err != nil {
				_ = os.RemoveAll(root)
			}
		}()
		src, err := r.fillNew(root, fill)
		if err != nil {
			return fmt.Errorf("create %s: %w", spec.Name, err)
		}
		spec.Source = src
	}
	spec, err = normalizeSpec(spec)
	if err != nil {
		return err
	}
	for _, a := range spec.Aliases {
		if _, err := Compile(a); err != nil {
			return fmt.Errorf("function %s: alias %s: %w", spec.Name, a.Name, err)
		}
	}
	s, err := r.take(ctx, spec.Name, spec.Source, spec.Build)
	if err != nil {
		return fmt.Errorf("create %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.st.Load().stored()[key]; ok {
		// Unreachable: Define, Park and Create all hold the function's lock.
		return fmt.Errorf("%w: %s", ErrFunctionExists, spec.Name)
	}
	if err := r.defineLocked(spec, s); err != nil {
		return err
	}
	r.log.Info("function created", "function", spec.Name, "managed", fill != nil)
	return nil
}

// fillNew fills a fresh scratch folder under root and renames it to src.
func (r *Registry) fillNew(root string, fill FillFunc) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, tmpSrcPrefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := fill(tmp); err != nil {
		return "", err
	}
	src := filepath.Join(root, "src")
	if err := os.Rename(tmp, src); err != nil {
		return "", err
	}
	return src, nil
}

// UpdateCode replaces the $LATEST code of a function created with a FillFunc
// by what fill writes, and its handler when handler is not empty, in one
// commit. The managed folder itself stays in place (only its entries are
// swapped), so a file watcher on it keeps working. It notifies ChangeLatest
// when the code or the configuration changed.
//
// Errors wrap ErrFunctionNotFound, ErrSourceNotManaged (the function's code
// is a folder from emulator.yaml, which the registry never overwrites),
// ErrInvalidConfig, or whatever fill returned.
func (r *Registry) UpdateCode(ctx context.Context, name string, fill FillFunc, handler string) (Refresh, error) {
	if err := r.checkOpen(); err != nil {
		return Refresh{}, err
	}
	f, err := r.Function(name)
	if err != nil {
		return Refresh{}, err
	}
	if !r.isManaged(f) {
		return Refresh{}, fmt.Errorf("%w: function %s takes its code from %s; edit that folder instead", ErrSourceNotManaged, name, f.Source)
	}
	src := r.ManagedSourceDir(name)
	root := filepath.Dir(src)
	// Unpacking can take a while, so it runs before the function's lock.
	tmp, err := os.MkdirTemp(root, tmpSrcPrefix)
	if err != nil {
		return Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return Refresh{}, err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	if f, err = r.Function(name); err != nil {
		return Refresh{}, err // deleted while unpacking
	}
	cfg := cloneConfig(f.Config)
	if handler != "" {
		cfg.Handler = handler
	}
	if err := checkConfig(name, cfg); err != nil {
		return Refresh{}, err
	}
	old, err := os.MkdirTemp(root, oldSrcPrefix)
	if err != nil {
		return Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	defer os.RemoveAll(old)
	if err := swapEntries(src, tmp, old); err != nil {
		return Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	s, err := r.take(ctx, name, src, f.Build)
	if err != nil {
		if rerr := swapEntries(src, old, tmp); rerr != nil {
			r.log.Error("cannot restore the previous code after a failed update", "function", name, "dir", src, "err", rerr)
		}
		return Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.fnLocked(name)
	if err != nil {
		return Refresh{}, err
	}
	ref := Refresh{Latest: cloneVersion(cur.fn.Latest), Previous: cloneVersion(cur.fn.Latest)}
	if cur.fn.Latest.CodeHash == s.hash && reflect.DeepEqual(cur.fn.Config, cfg) {
		return ref, nil
	}
	now := r.stamp()
	next := cur.clone()
	next.fn.Config = cfg
	next.fn.Latest = Version{
		Function: name, Version: Latest, Config: cloneConfig(cfg),
		CodeHash: s.hash, CodeDir: s.dir, CodeSize: s.size,
		AddTime: cur.fn.AddTime, ModTime: now, Layers: cur.fn.Latest.Layers,
	}
	next.fn.ModTime = now
	if err := r.commitLocked(next, Change{Kind: ChangeLatest, Function: name, Version: Latest, Previous: cur.fn.Latest}); err != nil {
		return Refresh{}, err
	}
	r.log.Info("code updated", "function", name, "code_hash", s.hash)
	ref.Latest, ref.Changed = cloneVersion(next.fn.Latest), true
	return ref, nil
}

// swapEntries moves the entries of dst into the empty folder aside, then the
// entries of from into dst. On failure it moves back what it moved.
func swapEntries(dst, from, aside string) error {
	if err := moveEntries(dst, aside); err != nil {
		_ = moveEntries(aside, dst)
		return err
	}
	if err := moveEntries(from, dst); err != nil {
		_ = moveEntries(dst, from)
		_ = moveEntries(aside, dst)
		return err
	}
	return nil
}

// moveEntries renames every entry of from into to.
func moveEntries(from, to string) error {
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// UpdateConfig replaces the $LATEST configuration of a function; published
// versions keep theirs. It notifies ChangeLatest when the configuration
// changed (Previous then has the same code hash as the new $LATEST). For a
// function from emulator.yaml the next start's Define restores the file's
// configuration.
//
// Errors wrap ErrFunctionNotFound or ErrInvalidConfig.
func (r *Registry) UpdateConfig(ctx context.Context, name string, cfg FunctionConfig) (Function, error) {
	if err := r.checkOpen(); err != nil {
		return Function{}, err
	}
	cfg = cloneConfig(cfg)
	if err := checkConfig(name, cfg); err != nil {
		return Function{}, err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	if err := ctx.Err(); err != nil {
		return Function{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.fnLocked(name)
	if err != nil {
		return Function{}, err
	}
	if reflect.DeepEqual(cur.fn.Config, cfg) {
		return cloneFunction(cur.fn), nil
	}
	now := r.stamp()
	next := cur.clone()
	next.fn.Config = cfg
	next.fn.Latest.Config = cloneConfig(cfg)
	next.fn.Latest.ModTime = now
	next.fn.ModTime = now
	if err := r.commitLocked(next, Change{Kind: ChangeLatest, Function: name, Version: Latest, Previous: cur.fn.Latest}); err != nil {
		return Function{}, err
	}
	r.log.Info("configuration updated", "function", name)
	return cloneFunction(next.fn), nil
}

// checkConfig applies the configuration rules of normalizeSpec.
func checkConfig(name string, c FunctionConfig) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: function %s: %s", ErrInvalidConfig, name, fmt.Sprintf(format, args...))
	}
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
	if err := checkLayerRefs(c.Layers); err != nil {
		return bad("%v", err)
	}
	return nil
}
