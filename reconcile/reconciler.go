package reconcile

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// Registry is what a reconcile needs of the function registry
// (*registry.Registry). Function, Version and Alias return the registry's
// not-found errors; Park returns registry.ErrFunctionNotFound or
// registry.ErrNotParkable for a function it cannot park.
type Registry interface {
	Function(name string) (registry.Function, error)
	ParkedFunction(name string) (registry.Parked, bool)
	ParkedTriggers(name string) ([]registry.Trigger, bool)
	AllTriggers() []registry.Trigger
	ManagedSourceDir(name string) string
	Version(name, version string) (registry.Version, error)
	Alias(name, alias string) (registry.Alias, error)
	Define(ctx context.Context, spec registry.FunctionSpec) error
	Delete(ctx context.Context, name string) error
	Park(ctx context.Context, name string) (registry.Parked, error)
	DefineLayer(ctx context.Context, spec registry.LayerSpec) (registry.Layer, error)
}

// Routes is the config that runs and the gateway's table made from it.
type Routes interface {
	// Running is the config that runs now; nil when none was loaded.
	Running() *config.File
	// Check returns the gateway's objection to the routes of f, changing
	// nothing.
	Check(f *config.File) error
	// Serve makes f the running config and swaps in its routes, at once for
	// both. On an error the previous config and routes stay.
	Serve(f *config.File) error
}

// Watcher watches function and layer source folders by name
// (*watch.Watcher). Add returns watch.ErrExists for a name watched already,
// Remove watch.ErrNotWatched for one not watched.
type Watcher interface {
	Add(name, dir string) error
	Remove(name string) error
}

// Triggers makes the triggers and async policy of function f what the
// config declares; prev is its previous config, nil for a new function.
type Triggers interface {
	Apply(f config.Function, prev *config.Function) error
}

// Options are a Reconciler's collaborators. Registry, Routes, Watcher,
// Triggers, Read, Parse and Spec are required.
type Options struct {
	// Path is the config file as the user named it, for file:line in errors.
	Path     string
	Registry Registry
	Routes   Routes
	Watcher  Watcher
	Triggers Triggers
	// Read returns the config's bytes, compared with the last read to skip
	// saves without a change; running is the config that runs.
	Read func(running *config.File) ([]byte, error)
	// Parse parses what Read returned.
	Parse func(data []byte) (*config.File, error)
	// Spec maps a function of the config onto the registry's definition.
	Spec func(config.Function) registry.FunctionSpec
	// Resolve gets the image of a new or changed function in the
	// background; nil does nothing.
	Resolve func(function string)
	// Report receives every edit applied or refused; nil discards.
	Report func(Report)
	// Logger gets what fails after an edit was applied; nil discards.
	Logger *slog.Logger
}

// Report is one live reload of the config file, for the console.
type Report struct {
	Path    string // as the user gave it, like the file:line of errors
	Changes config.Changes
	Took    time.Duration
	// Err says why the edit was refused; the running configuration stays.
	Err error
	// Recovered: the file is valid again after a refused edit and matches
	// what runs, so nothing changed.
	Recovered bool
	// Parked are the removed functions set aside with their state, and
	// Restored the added ones that came back from being parked, by name.
	Parked, Restored map[string]registry.Parked
	// LeftOut are, by restored function, its kept triggers whose route
	// another took while it was parked: restored disabled (restore.go).
	LeftOut map[string][]Conflict
}

// Reconciler applies edits of the config file to the running emulator.
// Reload is called by one goroutine at a time (the config watcher's).
type Reconciler struct {
	o       Options
	last    []byte // config bytes last read; Reload's caller only
	refused bool   // the last edit was refused; Reload's caller only
}

// New returns a Reconciler over its collaborators.
func New(o Options) *Reconciler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Resolve == nil {
		o.Resolve = func(string) {}
	}
	if o.Report == nil {
		o.Report = func(Report) {}
	}
	return &Reconciler{o: o}
}

// Reload is the config watcher's callback: it applies the edit, all of it
// or, when any part is refused, none of it, and reports it. A save that
// changes nothing, or only comments and formatting, is not reported. It
// returns nil: a refused edit is reported, not returned.
func (r *Reconciler) Reload(ctx context.Context) error {
	path := r.o.Path
	data, err := r.o.Read(r.o.Routes.Running())
	if err == nil && r.last != nil && bytes.Equal(data, r.last) {
		return nil // saved without a change
	}
	r.last = data
	start := time.Now()
	rep := Report{Path: path}
	var cur *config.File
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
	} else {
		cur, err = r.o.Parse(data)
	}
	if err == nil {
		rep.Changes = config.Diff(r.o.Routes.Running(), cur)
		err = r.apply(ctx, cur, &rep)
	}
	rep.Took, rep.Err = time.Since(start), err
	switch {
	case err != nil:
		r.refused = true
	case rep.Changes.Empty() && !r.refused:
		return nil // comments or formatting only
	default:
		rep.Recovered = rep.Changes.Empty()
		r.refused = false
	}
	r.o.Report(rep)
	return nil
}
