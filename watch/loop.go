package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// result is what one Func call reports back to the loop.
type result struct {
	root   *root
	ignore []string
	err    error
	took   time.Duration
}

// loop owns scheduling: it turns events into dirty roots, starts a Func
// call for each root whose quiet period has passed, and folds events that
// arrive during a call into one more call. It returns when ctx ends or the
// file watcher closes, after every call it started has returned.
func (w *Watcher) loop(ctx context.Context) {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer wg.Wait()
	defer cancel() // runs first, so calls blocked on sending a result give up

	done := make(chan result)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.events:
			if !ok {
				return
			}
			w.handle(ev)
		case err, ok := <-w.errs:
			if !ok {
				return
			}
			w.handleError(err)
		case res := <-done:
			w.finish(res)
		case <-timer.C:
		}
		// Since Go 1.23 Reset and Stop discard a pending tick, so a stale
		// one cannot start a call early.
		if wait, ok := w.startDue(ctx, &wg, done); ok {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
	}
}

// handle applies one fsnotify event: it keeps the set of watched folders in
// step with the tree and marks the roots the event concerns.
func (w *Watcher) handle(ev fsnotify.Event) {
	p := filepath.Clean(ev.Name)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()

	// A removed or renamed-away folder keeps no watches: the kernel drops
	// them on delete, and after a rename they would report the old path.
	folderGone := false
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		for d := range w.watched {
			if within(p, d) {
				w.unwatchLocked(d)
				folderGone = true
			}
		}
	}
	isDir := false
	if ev.Has(fsnotify.Create) {
		fi, err := os.Lstat(p)
		isDir = err == nil && fi.IsDir()
	}
	walked := false
	for _, r := range w.roots {
		rp, ok := rel(r.dir, p)
		if !ok || skipDir(rp) || tempName(filepath.Base(p)) || ignoredBy(r.ignore, rp) {
			continue
		}
		if isDir && !walked {
			// Files created in it before its watch existed ("mkdir -p a/b &&
			// echo > a/b/f") produced no events; the call this event causes
			// reads them anyway.
			w.addTree(r.dir, p)
			walked = true
		}
		r.last = now
		r.burst++
		if isDir || folderGone || ev.Has(fsnotify.Remove) {
			// Editors save by writing, creating or renaming over a file; a
			// removal or a folder made, removed or renamed is a tree operation
			// (rm -r, a checkout) whose events can come further apart than
			// the short quiet period on a busy machine (rm -r's unlink and
			// rmdir were seen 45 ms apart under load).
			r.burst = max(r.burst, quickBurst+1)
		}
		if w.busy[r.name] {
			if r.during == nil {
				r.during = map[string]struct{}{}
			}
			r.during[rp] = struct{}{}
		} else {
			r.dirty = true
		}
	}
}

// handleError logs a watcher error. When the kernel queue overflowed,
// events were lost, so every root is rescanned and reloaded.
func (w *Watcher) handleError(err error) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Error("file watcher", "err", err)
		return
	}
	w.log.Warn("file events were lost; reloading every function", "err", err)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.roots {
		w.addTree(r.dir, r.dir)
		r.last = now
		r.burst = quickBurst + 1 // lost events: wait for the storm to settle
		if w.busy[r.name] {
			if r.during == nil {
				r.during = map[string]struct{}{}
			}
			r.during["."] = struct{}{}
		} else {
			r.dirty = true
		}
	}
}

// startDue starts a call for every idle root whose quiet period (short for
// a burst of a few events, long for a bigger one) has passed and returns how
// long until the next one is due, if any.
func (w *Watcher) startDue(ctx context.Context, wg *sync.WaitGroup, done chan<- result) (time.Duration, bool) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	var next time.Duration
	pending := false
	for name, r := range w.roots {
		if !r.dirty || w.busy[name] {
			continue
		}
		quiet := w.debounce
		if r.burst <= quickBurst {
			quiet = w.quick
		}
		if wait := r.last.Add(quiet).Sub(now); wait > 0 {
			if !pending || wait < next {
				next, pending = wait, true
			}
			continue
		}
		r.dirty = false
		r.during = nil
		r.burst = 0
		w.busy[name] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := w.call(ctx, r)
			select {
			case done <- res:
			case <-ctx.Done():
			}
		}()
	}
	return next, pending
}

// call runs Func for r, turning a panic into an error so that one broken
// reload does not take the emulator down.
func (w *Watcher) call(ctx context.Context, r *root) (res result) {
	start := time.Now()
	res.root = r
	defer func() {
		if p := recover(); p != nil {
			res.err = fmt.Errorf("reload panicked: %v", p)
		}
		res.took = time.Since(start)
	}()
	res.ignore, res.err = w.fn(ctx, r.name)
	return res
}

// finish records a call's outcome: new ignored paths first, then whether
// the changes made during the call (minus the call's own writes) need one
// more call.
func (w *Watcher) finish(res result) {
	r := res.root
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.busy, r.name)
	if res.err != nil {
		w.log.Error("hot reload failed", "function", r.name, "duration", res.took, "err", res.err)
	} else {
		w.log.Debug("hot reload", "function", r.name, "duration", res.took)
	}
	for _, p := range res.ignore {
		if n, ok := normIgnore(r.dir, p); ok {
			r.ignore[n] = struct{}{}
		} else {
			w.log.Warn("ignoring a path outside the folder", "function", r.name, "path", p)
		}
	}
	// The name may have been removed, or removed and added again, during
	// the call; whichever root holds it now gets the pending changes.
	cur := w.roots[r.name]
	if cur == nil {
		return
	}
	for p := range cur.during {
		if !ignoredBy(cur.ignore, p) {
			cur.dirty = true
			break
		}
	}
	cur.during = nil
}
