package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Errors returned by the Watcher; callers branch on them with errors.Is.
var (
	// ErrClosed is returned by Add, Remove and Run after Close.
	ErrClosed = errors.New("watcher is closed")
	// ErrExists is returned by Add for a name that is already watched.
	ErrExists = errors.New("name is already watched")
	// ErrNotWatched is returned by Remove for an unknown name.
	ErrNotWatched = errors.New("name is not watched")
	// ErrRunning is returned by a second call of Run.
	ErrRunning = errors.New("watcher was already run")
)

// DefaultDebounce is the quiet period used when Options.Debounce is 0.
const DefaultDebounce = 100 * time.Millisecond

// DefaultQuick is the short quiet period used when Options.Quick is 0.
const DefaultQuick = 15 * time.Millisecond

// quickBurst is the most events a burst may have and still be taken as one
// save: an editor's save is a handful of events (write, chmod, the rename
// of an atomic save) within a few milliseconds; a checkout, a build or a
// copy of a tree is many more.
const quickBurst = 6

// Options tune a Watcher; the zero value is ready to use.
//
// The quiet period adapts to the burst: a burst of at most a few events (a
// save) settles after Quick, so a reload starts almost at once; once a
// burst has more, it settles only after Debounce without events, so a
// checkout or a tree copy gives one reload, not one per file.
type Options struct {
	Debounce time.Duration // quiet period after the last event of a long burst; 0 means DefaultDebounce
	Quick    time.Duration // quiet period after a short burst; 0 means DefaultQuick, capped at Debounce
	Logger   *slog.Logger  // nil discards logs
}

// Func reloads one name. It is called, never concurrently for one name,
// after a burst of changes under that name's folder has settled. It returns
// paths (relative to the folder, or absolute inside it) that the reload
// itself wrote, such as build outputs; events on them, and on anything under
// them when they are folders, are ignored from then on, so a build never
// triggers itself. An error is logged and watching goes on.
type Func func(ctx context.Context, name string) (ignore []string, err error)

// notifier is the part of fsnotify.Watcher the Watcher drives; tests
// substitute a fake to control events and time.
type notifier interface {
	Add(name string) error
	Remove(name string) error
	Close() error
}

// Watcher watches folders by name and calls a Func when they change.
type Watcher struct {
	fn       Func
	debounce time.Duration
	quick    time.Duration
	log      *slog.Logger
	fsn      notifier
	events   <-chan fsnotify.Event
	errs     <-chan error

	mu      sync.Mutex          // guards the fields below
	roots   map[string]*root    // by name
	watched map[string]struct{} // absolute folders registered with fsn
	busy    map[string]bool     // names whose Func is running
	closed  bool                // Close was called
	stopRun context.CancelFunc  // ends Run; nil until Run starts
	runDone chan struct{}       // closed when Run returns; nil until Run starts
}

// root is one watched name.
type root struct {
	name   string
	dir    string              // absolute
	ignore map[string]struct{} // slash paths relative to dir that reloads wrote
	dirty  bool                // changed since the last call started
	last   time.Time           // when the latest relevant event arrived
	burst  int                 // relevant events since the last call started
	during map[string]struct{} // relative paths changed while Func was running
}

// New returns a Watcher that calls fn; call Add for each folder, Run to
// start delivering, and Close to stop.
func New(fn Func, opts Options) (*Watcher, error) {
	if fn == nil {
		return nil, errors.New("watch: nil Func")
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start file watcher: %w", err)
	}
	return newWatcher(fn, opts, fsw, fsw.Events, fsw.Errors), nil
}

func newWatcher(fn Func, opts Options, fsn notifier, events <-chan fsnotify.Event, errs <-chan error) *Watcher {
	d := opts.Debounce
	if d <= 0 {
		d = DefaultDebounce
	}
	q := opts.Quick
	if q <= 0 {
		q = DefaultQuick
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		fn: fn, debounce: d, quick: min(q, d), log: log, fsn: fsn, events: events, errs: errs,
		roots: map[string]*root{}, watched: map[string]struct{}{}, busy: map[string]bool{},
	}
}

// Add watches dir and every subfolder, now and created later, under name.
// It does not call Func: the caller loads the current code itself.
func (w *Watcher) Add(name, dir string) error {
	if name == "" {
		return errors.New("watch: empty name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", name, err)
	}
	// The walk does not follow links, so a linked folder is watched at its
	// real path.
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("watch %s: %w", name, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("watch %s: %s is not a folder", name, abs)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if _, ok := w.roots[name]; ok {
		return fmt.Errorf("watch %s: %w", name, ErrExists)
	}
	if _, ok := w.watched[abs]; !ok {
		if err := w.fsn.Add(abs); err != nil {
			return fmt.Errorf("watch %s: %s: %w", name, abs, err)
		}
		w.watched[abs] = struct{}{}
	}
	w.roots[name] = &root{name: name, dir: abs, ignore: map[string]struct{}{}}
	w.addTree(abs, abs)
	w.log.Debug("watching", "function", name, "dir", abs)
	return nil
}

// Remove stops watching name and drops the folders no other name needs. A
// reload already running for name finishes, but its result is discarded.
func (w *Watcher) Remove(name string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	r, ok := w.roots[name]
	if !ok {
		return fmt.Errorf("watch %s: %w", name, ErrNotWatched)
	}
	delete(w.roots, name)
	for d := range w.watched {
		if within(r.dir, d) && !w.neededLocked(d) {
			w.unwatchLocked(d)
		}
	}
	return nil
}

// neededLocked reports whether folder d lies under a remaining root.
func (w *Watcher) neededLocked(d string) bool {
	for _, r := range w.roots {
		if within(r.dir, d) {
			return true
		}
	}
	return false
}

func (w *Watcher) unwatchLocked(d string) {
	delete(w.watched, d)
	// The kernel drops the watch of a deleted folder by itself, so "not
	// watched" is the expected answer then.
	if err := w.fsn.Remove(d); err != nil && !errors.Is(err, fsnotify.ErrNonExistentWatch) {
		w.log.Debug("unwatch folder", "dir", d, "err", err)
	}
}

// addTree watches dir and its subfolders, skipping ignored ones; top is the
// root folder dir belongs to, for relative names. Folders that cannot be
// watched (for example when the inotify watch limit is reached) are logged
// and skipped: partial hot reload beats none. Call with w.mu held.
func (w *Watcher) addTree(top, dir string) {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A folder removed while walking is not a problem.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			w.log.Warn("cannot read folder", "dir", p, "err", err)
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if r, ok := rel(top, p); ok && r != "." && skipDir(r) {
			return filepath.SkipDir
		}
		if _, ok := w.watched[p]; ok {
			return nil
		}
		if err := w.fsn.Add(p); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				w.log.Warn("cannot watch folder", "dir", p, "err", err)
			}
			return nil
		}
		w.watched[p] = struct{}{}
		return nil
	})
	if err != nil {
		w.log.Warn("cannot walk folder", "dir", dir, "err", err)
	}
}

// Run delivers events until ctx ends or Close is called, then waits for
// running reloads (whose ctx it cancels) and returns nil. It may be called
// once.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if w.runDone != nil {
		w.mu.Unlock()
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.stopRun, w.runDone = cancel, done
	w.mu.Unlock()

	defer close(done)
	defer cancel()
	w.loop(ctx)
	return nil
}

// Close stops Run, waits for it and its reloads to return, and releases the
// file watcher. Func is not called after Close returns. Close is idempotent.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	stop, done := w.stopRun, w.runDone
	w.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return w.fsn.Close()
}
