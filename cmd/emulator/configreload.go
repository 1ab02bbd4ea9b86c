package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/watch"
)

// ConfigReport is one live reload of the config file, for the console.
type ConfigReport struct {
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
}

// configLive is the App's state for applying config edits while running.
type configLive struct {
	watch interface {
		Run(context.Context) error
		Close() error
	} // *watch.FileWatcher, or serverlessWatch for a serverless.yml folder
	mu      sync.Mutex // guards App.file after NewApp and orders gateway table swaps
	last    []byte     // config bytes last read; the watcher's goroutine only
	refused bool       // the last edit was refused; the watcher's goroutine only
}

// configPath is the config file as the user named it.
func (a *App) configPath() string {
	if a.cfg.ConfigPath == "" {
		return "emulator.yaml"
	}
	return a.cfg.ConfigPath
}

// watchConfig makes the watcher of the config file; Run starts it.
func (a *App) watchConfig() error {
	if config.IsServerless(a.configPath()) {
		return a.watchServerless()
	}
	w, err := watch.NewFile(a.configPath(), a.reloadConfig, watch.Options{Logger: a.cfg.Logger.With("component", "watch")})
	if err != nil {
		return fmt.Errorf("watch config: %w", err)
	}
	a.live.watch = w
	return nil
}

// runningConfig is the config that runs now; nil when none was loaded.
func (a *App) runningConfig() *config.File {
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	return a.file
}

// reloadConfig is the config watcher's callback: it applies the edit, all
// of it or, when any part is refused, none of it.
func (a *App) reloadConfig(ctx context.Context) error {
	path := a.configPath()
	data, err := readConfigFiles(path, a.runningConfig())
	if err == nil && a.live.last != nil && bytes.Equal(data, a.live.last) {
		return nil // saved without a change
	}
	a.live.last = data
	start := time.Now()
	rep := ConfigReport{Path: path}
	var cur *config.File
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
	} else {
		cur, err = parseConfigFile(path, data)
	}
	if err == nil {
		rep.Changes = config.Diff(a.runningConfig(), cur)
		err = a.applyConfig(ctx, cur, &rep)
	}
	rep.Took, rep.Err = time.Since(start), err
	switch {
	case err != nil:
		a.live.refused = true
	case rep.Changes.Empty() && !a.live.refused:
		return nil // comments or formatting only
	default:
		rep.Recovered = rep.Changes.Empty()
		a.live.refused = false
	}
	a.cfg.Events.ConfigReload(rep)
	return nil
}

// applyConfig checks cur against the running emulator, then defines the
// added and changed functions (restoring parked ones), swaps the gateway's
// routes and parks the removed functions, noting both in rep. A refused
// check changes nothing; a failed definition (a build that fails) undoes
// the definitions made before it.
func (a *App) applyConfig(ctx context.Context, cur *config.File, rep *ConfigReport) error {
	ch := rep.Changes
	old := a.runningConfig()
	if err := a.checkConfig(old, cur, ch); err != nil {
		return err
	}
	var undo []func()
	rollback := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	cleanup := context.WithoutCancel(ctx)
	// Layers first: an added function may list an added layer. A layer
	// version published here stays when a later step is refused; it is
	// harmless, as a publish of an unchanged folder is.
	if err := a.applyLayers(ctx, cur, ch); err != nil {
		return err
	}
	for _, f := range cur.Functions {
		prev, changed := changedFrom(ch, f.Name)
		if !changed && !isAdded(ch, f.Name) || triggersOnly(ch, f.Name) {
			continue // untouched: no build, no new snapshot
		}
		key := registry.Key(f.Namespace, f.Name)
		_, missing := a.reg.Function(key)
		parked, wasParked := a.reg.ParkedFunction(key)
		if err := a.reg.Define(ctx, a.debugSpec(functionSpec(f))); err != nil {
			rollback()
			return fmt.Errorf("%s:%d: function %s: %w", a.configPath(), f.Line, f.Name, err)
		}
		if wasParked {
			if rep.Restored == nil {
				rep.Restored = map[string]registry.Parked{}
			}
			rep.Restored[f.Name] = parked
			// Undone by parking it again: a refused edit loses nothing.
			undo = append(undo, func() {
				delete(rep.Restored, f.Name)
				if _, err := a.reg.Park(cleanup, key); err != nil {
					a.cfg.Logger.Warn("cannot park the function again", "function", key, "err", err)
				}
			})
		} else if changed {
			undo = append(undo, func() { a.undoDefine(cleanup, prev) })
			if prev.Source != f.Source {
				a.rewatch(f.Name, f.Source)
				undo = append(undo, func() { a.rewatch(f.Name, prev.Source) })
			}
		} else if missing != nil {
			undo = append(undo, func() { _ = a.reg.Delete(cleanup, key) })
		}
	}
	a.live.mu.Lock()
	a.file = cur
	err := a.gw.SetServices(a.services())
	if err != nil {
		a.file = old
	}
	a.live.mu.Unlock()
	if err != nil {
		rollback()
		return fmt.Errorf("%s: services: %w", a.configPath(), err)
	}
	// Triggers after the functions and their aliases they fire through.
	for _, f := range cur.Functions {
		if prev, changed := changedFrom(ch, f.Name); changed || isAdded(ch, f.Name) {
			var old *config.Function
			if changed {
				old = &prev
			}
			if err := a.applyTriggers(f, old); err != nil {
				a.cfg.Logger.Warn("triggers not applied", "function", f.Name, "err", err)
				return err
			}
		}
	}
	// The docker runtime gets the images of new and changed functions now,
	// with the start-up rules, rather than at their first request.
	for _, f := range cur.Functions {
		if _, changed := changedFrom(ch, f.Name); changed || isAdded(ch, f.Name) {
			a.resolveCreated(f.Name)
		}
	}
	// After the routes: no request is routed to a function being parked.
	rep.Parked = a.parkLive(cleanup, ch.Removed)
	return nil
}

// checkConfig refuses what the config checks cannot see: a new function
// whose name an API-created function holds, routes that clash with apigw
// triggers, and new stage bindings to aliases or versions that will not exist.
func (a *App) checkConfig(old, cur *config.File, ch config.Changes) error {
	for _, f := range ch.Added {
		if fn, err := a.reg.Function(f.Name); err == nil && fn.Source == a.reg.ManagedSourceDir(f.Name) {
			return &config.Problem{File: a.configPath(), Line: f.Line, Key: "functions." + f.Name,
				Msg: "a function of this name was created through the cloud API; delete it first or pick another name"}
		}
	}
	if err := a.checkTriggers(cur); err != nil {
		return err
	}
	if err := gateway.CheckServices(a.servicesOf(cur)); err != nil {
		return fmt.Errorf("%s: services: %w", a.configPath(), err)
	}
	before := bindings(old)
	declared := map[string]map[string]bool{}
	for _, f := range cur.Functions {
		declared[f.Name] = map[string]bool{}
		for _, al := range f.Aliases {
			declared[f.Name][al.Name] = true
		}
	}
	for _, s := range cur.Services {
		for i, api := range s.APIs {
			for stage, q := range effectiveStages(s, api) {
				if q == "" || before[binding{api.Function, q}] || q == config.Latest || q == config.Default || declared[api.Function][q] {
					continue
				}
				if err := a.qualifierExists(api.Function, q); err != nil {
					return &config.Problem{File: a.configPath(), Line: api.Line,
						Key: "services." + s.Name + ".apis[" + strconv.Itoa(i) + "] stage " + stage, Msg: err.Error()}
				}
			}
		}
	}
	return nil
}

func (a *App) qualifierExists(fn, q string) error {
	if p, ok := a.reg.ParkedFunction(fn); ok {
		// The edit restores it (it is in the file again): its kept
		// versions and aliases count.
		if slices.Contains(p.Versions, q) || slices.Contains(p.Aliases, q) {
			return nil
		}
	}
	if _, err := strconv.Atoi(q); err == nil {
		if _, err := a.reg.Version(fn, q); err != nil {
			return fmt.Errorf("function %s has no published version %s", fn, q)
		}
		return nil
	}
	if _, err := a.reg.Alias(fn, q); err != nil {
		return fmt.Errorf("function %s has no alias %s: declare it under functions.%s.aliases or create it with `emulator alias create`", fn, q, fn)
	}
	return nil
}

// binding is one (function, qualifier) a route points at.
type binding struct{ function, qualifier string }

func bindings(f *config.File) map[binding]bool {
	out := map[binding]bool{}
	if f == nil {
		return out
	}
	for _, s := range f.Services {
		for _, api := range s.APIs {
			for _, q := range effectiveStages(s, api) {
				out[binding{api.Function, q}] = true
			}
		}
	}
	return out
}

// effectiveStages is stage -> qualifier for one API: the service's stages
// with the API's overrides.
func effectiveStages(s config.Service, api config.API) map[string]string {
	out := make(map[string]string, len(s.Stages))
	for st, q := range s.Stages {
		out[st] = q
	}
	for st, q := range api.Stages {
		out[st] = q
	}
	return out
}

func changedFrom(ch config.Changes, name string) (config.Function, bool) {
	for _, fc := range ch.Changed {
		if fc.New.Name == name {
			return fc.Old, true
		}
	}
	return config.Function{}, false
}

func isAdded(ch config.Changes, name string) bool {
	for _, f := range ch.Added {
		if f.Name == name {
			return true
		}
	}
	return false
}

// undoDefine puts a function's previous definition back after a later part
// of the edit failed.
func (a *App) undoDefine(ctx context.Context, prev config.Function) {
	if err := a.reg.Define(ctx, a.debugSpec(functionSpec(prev))); err != nil {
		a.cfg.Logger.Warn("cannot restore the function's previous definition", "function", prev.Name, "err", err)
	}
}

// rewatch points the source watcher of a function at a new folder.
func (a *App) rewatch(name, dir string) {
	if err := a.watcher.Remove(name); err != nil && !errors.Is(err, watch.ErrNotWatched) {
		a.cfg.Logger.Warn("cannot stop watching", "function", name, "err", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := a.watcher.Add(name, dir); err != nil && !errors.Is(err, watch.ErrExists) {
		a.cfg.Logger.Warn("cannot watch the function's source", "function", name, "err", err)
	}
}
