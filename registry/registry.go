package registry

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxVersions  = 1000
	DefaultBuildTimeout = 5 * time.Minute
)

// Options configures Open. Zero values pick the documented defaults.
type Options struct {
	Dir          string           // state dir; created if missing
	Logger       *slog.Logger     // nil = discard
	Rand         func() float64   // in [0,1); nil = math/rand/v2 seeded by Seed (0 = random seed); must be goroutine-safe
	Seed         uint64           // seed for the default Rand; 0 picks a random one
	Now          func() time.Time // nil = time.Now
	MaxVersions  int              // 0 = DefaultMaxVersions (LimitExceeded on the platform)
	BuildTimeout time.Duration    // 0 = DefaultBuildTimeout
}

// ChangeKind says what a committed mutation changed.
type ChangeKind int

// Kinds of Change.
const (
	ChangeDefined          ChangeKind = iota + 1 // Define created or updated a function
	ChangeLatest                                 // $LATEST was replaced; Change.Previous is the old one
	ChangePublished                              // a version was published; Change.Version is its number
	ChangeVersionDeleted                         // a version was deleted; Change.Version is its number
	ChangeAlias                                  // an alias was created, updated or deleted; Change.Alias names it
	ChangeFunctionDeleted                        // the function, its versions, aliases and triggers were deleted; Change.Previous is its last $LATEST
	ChangeTrigger                                // a trigger was created or deleted; Change.Trigger names it
	ChangeFunctionParked                         // the function left the config and is kept but not served (park.go); Change.Previous is its last $LATEST
	ChangeFunctionRestored                       // Define brought a parked function back; it follows ChangeDefined
)

// String returns a short lowercase name for logs.
func (k ChangeKind) String() string {
	switch k {
	case ChangeDefined:
		return "defined"
	case ChangeLatest:
		return "latest"
	case ChangePublished:
		return "published"
	case ChangeVersionDeleted:
		return "version-deleted"
	case ChangeAlias:
		return "alias"
	case ChangeFunctionDeleted:
		return "function-deleted"
	case ChangeTrigger:
		return "trigger"
	case ChangeFunctionParked:
		return "function-parked"
	case ChangeFunctionRestored:
		return "function-restored"
	}
	return fmt.Sprintf("change(%d)", int(k))
}

// Change describes one committed mutation to subscribers.
type Change struct {
	Kind     ChangeKind
	Function string
	Version  string  // ChangeLatest: Latest; ChangePublished, ChangeVersionDeleted: the number
	Previous Version // ChangeLatest: the replaced $LATEST; ChangeFunctionDeleted, ChangeFunctionParked: the last $LATEST
	Alias    string  // ChangeAlias: the alias name
	Trigger  string  // ChangeTrigger: the trigger name
}

// Registry holds functions, versions and aliases, persists them under
// Options.Dir, and answers routing questions lock-free.
type Registry struct {
	dir          string
	store        *store
	log          *slog.Logger
	rand         func() float64
	now          func() time.Time
	maxVersions  int
	buildTimeout time.Duration
	unlockDir    func() error

	// mu guards closed and serialises every mutation from validation through
	// the write of state.json to the swap of st and table, so that memory,
	// disk and the routing table always change together. It is never held
	// while a build runs or a tree is hashed.
	mu     sync.Mutex
	closed bool

	// st is the committed state. Only holders of mu store it; readers load it
	// without locks, which is safe because committed states are immutable.
	st atomic.Pointer[state]

	// table is the immutable routing table read by Resolve without locks.
	table atomic.Pointer[table]

	// locksMu guards fnLocks, the per-function mutexes that serialise builds,
	// snapshots and publishes of one function. Lock order: a function's lock,
	// then mu.
	locksMu sync.Mutex
	fnLocks map[string]*sync.Mutex

	// subMu guards subs, pending and notifying. Changes are queued under mu
	// (so the queue is in commit order) and delivered by flush outside every
	// lock, one goroutine at a time.
	subMu     sync.Mutex
	subs      []func(Change)
	pending   []Change
	notifying bool
}

// Open loads the registry stored in opts.Dir, creating the directory when
// missing. It removes leftover temporary files and garbage-collects trees and
// objects that no version and no $LATEST references.
func Open(opts Options) (*Registry, error) {
	if opts.Dir == "" {
		return nil, errors.New("open registry: state dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	for _, d := range []string{dir, filepath.Join(dir, objectsDir), filepath.Join(dir, treesDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open registry: %w", err)
		}
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	removeTemps(dir, tmpLayerPrefix, slog.New(slog.DiscardHandler))
	r := &Registry{
		dir:          dir,
		log:          opts.Logger,
		rand:         opts.Rand,
		now:          opts.Now,
		maxVersions:  opts.MaxVersions,
		buildTimeout: opts.BuildTimeout,
		unlockDir:    unlock,
		fnLocks:      make(map[string]*sync.Mutex),
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if r.rand == nil {
		r.rand = defaultRand(opts.Seed)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.maxVersions <= 0 {
		r.maxVersions = DefaultMaxVersions
	}
	if r.buildTimeout <= 0 {
		r.buildTimeout = DefaultBuildTimeout
	}
	r.store = &store{dir: dir, log: r.log}

	st, err := r.load()
	if err != nil {
		_ = unlock()
		return nil, err
	}
	t := &table{fns: make(map[string]*fnTable, len(st.fns))}
	for name, f := range st.fns {
		ft, err := buildFnTable(f)
		if err != nil {
			_ = unlock()
			return nil, fmt.Errorf("open registry: function %s: %w", name, err)
		}
		t.fns[name] = ft
	}
	r.collect(st)
	r.collectManaged(st)
	r.st.Store(st)
	r.table.Store(t)
	return r, nil
}

// defaultRand returns a goroutine-safe uniform source in [0,1).
func defaultRand(seed uint64) func() float64 {
	if seed == 0 {
		return rand.Float64
	}
	var mu sync.Mutex // guards src, which is not safe for concurrent use
	src := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return src.Float64()
	}
}

// Close releases the state directory. Mutations fail with ErrClosed
// afterwards; reads keep answering from the last state.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.unlockDir()
}

// Subscribe registers fn to be called after each committed mutation, in
// commit order, outside the registry's locks. fn may call back into the
// registry; changes it causes are delivered after it returns.
func (r *Registry) Subscribe(fn func(Change)) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.subs = append(r.subs, fn)
}

// stamp returns the current time without a monotonic reading and in UTC, so
// that it survives a JSON round trip unchanged.
func (r *Registry) stamp() time.Time {
	return r.now().UTC().Round(0)
}

// fnLock returns the mutex that serialises builds and publishes of name.
func (r *Registry) fnLock(name string) *sync.Mutex {
	r.locksMu.Lock()
	defer r.locksMu.Unlock()
	l, ok := r.fnLocks[name]
	if !ok {
		l = new(sync.Mutex)
		r.fnLocks[name] = l
	}
	return l
}

// checkOpen fails with ErrClosed after Close, so that no build starts then.
func (r *Registry) checkOpen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return nil
}

// fnLocked returns the committed state of name. The caller holds mu.
func (r *Registry) fnLocked(name string) (*fnState, error) {
	if r.closed {
		return nil, ErrClosed
	}
	f, ok := r.st.Load().fns[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return f, nil
}

// snapshotState returns the committed state for reading. Committed states
// are never modified, so the caller needs no lock.
func (r *Registry) snapshotState() *state {
	return r.st.Load()
}

// commitLocked persists a new version of function f, then swaps memory and
// the routing table and queues changes for subscribers. The caller holds mu.
// Nothing changes when it fails.
func (r *Registry) commitLocked(f *fnState, changes ...Change) error {
	cur := r.st.Load().ensureNamespace(f.fn.Namespace, r.stamp())
	// $LATEST follows the layers its configuration lists: resolved on every
	// commit, so a changed list or a missing layer is caught here.
	uses, err := cur.resolveLayers(f.fn.Latest.Config.Layers, true)
	if err != nil {
		return fmt.Errorf("function %s: %w", f.fn.Name, err)
	}
	f.fn.Latest.Layers = uses
	ft, err := buildFnTable(f)
	if err != nil {
		return err
	}
	next := cur.with(f)
	if err := r.save(next); err != nil {
		return err
	}
	r.st.Store(next)
	r.table.Store(r.table.Load().with(f.fn.Name, ft))

	r.subMu.Lock()
	r.pending = append(r.pending, changes...)
	r.subMu.Unlock()
	return nil
}

// flush delivers queued changes. Only one goroutine delivers at a time, which
// keeps the order; a goroutine that finds delivery under way leaves its
// changes to the one already delivering.
func (r *Registry) flush() {
	r.subMu.Lock()
	if r.notifying {
		r.subMu.Unlock()
		return
	}
	r.notifying = true
	for len(r.pending) > 0 {
		c := r.pending[0]
		r.pending = r.pending[1:]
		subs := r.subs
		r.subMu.Unlock()
		for _, fn := range subs {
			fn(c)
		}
		r.subMu.Lock()
	}
	r.notifying = false
	r.subMu.Unlock()
}

// Functions returns every function, sorted by name.
func (r *Registry) Functions() []Function {
	st := r.snapshotState()
	out := make([]Function, 0, len(st.fns))
	for _, name := range st.names() {
		out = append(out, cloneFunction(st.fns[name].fn))
	}
	return out
}

// Function returns one function or ErrFunctionNotFound.
func (r *Registry) Function(name string) (Function, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return Function{}, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return cloneFunction(f.fn), nil
}
