package watch

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// FileFunc reacts to a change of the watched file. It is never called
// concurrently; an error is logged and watching goes on.
type FileFunc func(ctx context.Context) error

// FileWatcher watches one file, such as emulator.yaml. Editors save by
// writing a new file and renaming it over the old one, which ends a watch
// on the file itself, so it watches the file's folder (not recursively) and
// keeps the events that name the file. The file need not exist: creating it
// is a change.
type FileWatcher struct {
	path     string // absolute, cleaned
	fn       FileFunc
	debounce time.Duration
	quick    time.Duration
	log      *slog.Logger
	fsw      *fsnotify.Watcher

	mu      sync.Mutex         // guards the fields below
	closed  bool               // Close was called
	stopRun context.CancelFunc // ends Run; nil until Run starts
	runDone chan struct{}      // closed when Run returns; nil until Run starts
}

// NewFile returns a FileWatcher for path calling fn after a burst of
// changes has settled (opts.Quick after a save's few events, opts.Debounce
// after more); call Run to start delivering and
// Close to stop.
func NewFile(path string, fn FileFunc, opts Options) (*FileWatcher, error) {
	if fn == nil {
		return nil, fmt.Errorf("watch: nil FileFunc")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start file watcher: %w", err)
	}
	if err := fsw.Add(filepath.Dir(abs)); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("watch %s: %w", filepath.Dir(abs), err)
	}
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
	return &FileWatcher{path: filepath.Clean(abs), fn: fn, debounce: d, quick: min(q, d), log: log, fsw: fsw}, nil
}

// Path is the absolute path watched.
func (w *FileWatcher) Path() string { return w.path }

// Run delivers changes until ctx ends or Close is called, and returns nil
// once the call in progress (whose ctx it cancels) has returned. It may be
// called once.
func (w *FileWatcher) Run(ctx context.Context) error {
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

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	burst := 0 // events since the last call
	settle := func() {
		if burst <= quickBurst {
			timer.Reset(w.quick)
		} else {
			timer.Reset(w.debounce)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return nil
			}
			// A bare chmod (touch, some sync tools) changes no content.
			if filepath.Clean(ev.Name) == w.path && ev.Op != fsnotify.Chmod {
				burst++
				settle()
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return nil
			}
			// Lost events may have hidden a save: read the file once more.
			w.log.Warn("file watcher", "file", w.path, "err", err)
			burst = quickBurst + 1
			settle()
		case <-timer.C:
			burst = 0
			// The call runs here, in the loop: events that arrive meanwhile
			// wait in the channel and then cause exactly one more call.
			w.call(ctx)
		}
	}
}

func (w *FileWatcher) call(ctx context.Context) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			w.log.Error("file reload panicked", "file", w.path, "panic", p)
		}
	}()
	if err := w.fn(ctx); err != nil {
		w.log.Error("file reload failed", "file", w.path, "duration", time.Since(start), "err", err)
	}
}

// Close stops Run, waits for it, and releases the file watcher. The
// FileFunc is not called after Close returns. Close is idempotent.
func (w *FileWatcher) Close() error {
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
	return w.fsw.Close()
}
