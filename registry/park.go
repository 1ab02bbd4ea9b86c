package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// A function declared in emulator.yaml that leaves the file (a save while
// `up` runs, or an edit while it is down) is parked rather than deleted: an
// accidental comment-out must not cost the version history and the aliases
// of a grayscale release. A parked function keeps everything in the state
// file but is not served: Functions, Function, Resolve, Triggers and every
// mutation answer as for a missing function. Define restores it; Delete
// drops it for good. Functions created through the cloud API are never
// parked: they are not in the config, so leaving it means nothing for them.

// ErrNotParkable means the function was created through the cloud API (its
// source is the registry's own folder); only config functions are parked.
var ErrNotParkable = errors.New("function was created through the cloud API and is never parked")

// ErrParked means a function of that name is parked: it exists on disk but
// is not served. Create fails with it (wrapping ErrFunctionExists too).
var ErrParked = errors.New("function is parked")

// ErrNotParked means DeleteParked found the function served, not parked:
// it was added back to the config meanwhile.
var ErrNotParked = errors.New("function is not parked")

// Parked describes a parked function: what is kept for it.
type Parked struct {
	Name      string    `json:"name"` // registry key: namespace/name outside the default namespace
	Namespace string    `json:"namespace"`
	Source    string    `json:"source"`   // the source folder it had; it may be gone
	Versions  []string  `json:"versions"` // published versions, ascending
	Aliases   []string  `json:"aliases"`  // alias names, $DEFAULT first
	Triggers  []string  `json:"triggers"` // trigger names, sorted
	ParkedAt  time.Time `json:"parkedAt"` // when it left the config
}

func parkedOf(f *fnState) Parked {
	p := Parked{Name: f.fn.Name, Namespace: f.fn.Namespace, Source: f.fn.Source, ParkedAt: f.parkedAt}
	for _, v := range f.sortedVersions() {
		p.Versions = append(p.Versions, v.Version)
	}
	for _, a := range f.sortedAliases() {
		p.Aliases = append(p.Aliases, a.Name)
	}
	for _, t := range f.sortedTriggers() {
		p.Triggers = append(p.Triggers, t.Name)
	}
	return p
}

// Park sets function name aside: it stays in the state file with its
// versions, aliases and triggers, and stops being served. Subscribers get
// ChangeFunctionParked (instances drain as on a delete). Parking a parked
// function returns it unchanged.
//
// Errors wrap ErrFunctionNotFound or ErrNotParkable.
func (r *Registry) Park(ctx context.Context, name string) (Parked, error) {
	if err := r.checkOpen(); err != nil {
		return Parked{}, err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	if err := ctx.Err(); err != nil {
		return Parked{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Parked{}, ErrClosed
	}
	cur := r.st.Load()
	if f, ok := cur.parked[name]; ok {
		return parkedOf(f), nil
	}
	f, err := r.fnLocked(name)
	if err != nil {
		return Parked{}, err
	}
	if r.isManaged(f.fn) {
		return Parked{}, fmt.Errorf("%w: %s", ErrNotParkable, name)
	}
	pf := f.clone()
	pf.parkedAt = r.stamp()
	// Triggers a restore left out come back: nothing a parked function
	// has is served, so they clash with nothing, and the next restore
	// judges them again.
	for name, t := range pf.triggers {
		if t.LeftOut {
			t.Enabled, t.LeftOut = true, false
			pf.triggers[name] = t
		}
	}
	next := cur.withParked(pf)
	if err := r.save(next); err != nil {
		return Parked{}, err
	}
	r.st.Store(next)
	r.table.Store(r.table.Load().without(name))
	r.subMu.Lock()
	r.pending = append(r.pending, Change{Kind: ChangeFunctionParked, Function: name, Previous: cloneVersion(f.fn.Latest)})
	r.subMu.Unlock()
	p := parkedOf(pf)
	r.log.Info("function parked", "function", name, "versions", len(p.Versions), "aliases", len(p.Aliases))
	return p, nil
}

// ParkedFunctions returns the parked functions, sorted by key.
func (r *Registry) ParkedFunctions() []Parked {
	st := r.snapshotState()
	out := make([]Parked, 0, len(st.parked))
	for _, name := range slices.Sorted(maps.Keys(st.parked)) {
		out = append(out, parkedOf(st.parked[name]))
	}
	return out
}

// ParkedFunction returns parked function name, and false when no function
// of that key is parked.
func (r *Registry) ParkedFunction(name string) (Parked, bool) {
	f, ok := r.snapshotState().parked[name]
	if !ok {
		return Parked{}, false
	}
	return parkedOf(f), true
}

// ParkedTriggers returns the triggers kept for parked function name,
// sorted by name, and false when no function of that key is parked.
func (r *Registry) ParkedTriggers(name string) ([]Trigger, bool) {
	f, ok := r.snapshotState().parked[name]
	if !ok {
		return nil, false
	}
	return f.sortedTriggers(), true
}

// leaveOutLocked disables the enabled triggers of f, a function being
// restored, that names lists, and marks them LeftOut. The caller holds mu
// and owns f.
func (r *Registry) leaveOutLocked(f *fnState, names []string, now time.Time) {
	for _, name := range names {
		t, ok := f.triggers[name]
		if !ok || !t.Enabled {
			continue
		}
		t.Enabled, t.LeftOut, t.ModTime = false, true, now
		f.triggers[name] = t
		r.log.Info("trigger left out of the restore: another function holds its route", "function", f.fn.Name, "trigger", name)
	}
}

// parkedError is Create's refusal of a parked name: the name is taken by a
// function whose history would otherwise be silently replaced.
func parkedError(name string) error {
	return fmt.Errorf("%w: %w: %s left emulator.yaml and keeps its versions and aliases; add it back to the config, or delete it (DeleteFunction, or `emulator gc --parked`)",
		ErrFunctionExists, ErrParked, name)
}

// parkedNote marks a parked function in messages that list functions.
func parkedNote(f *fnState) string {
	if f.parkedAt.IsZero() {
		return ""
	}
	return " (parked)"
}
