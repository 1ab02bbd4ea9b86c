package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/reconcile"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/watch"
)

// ConfigReport is one live reload of the config file, for the console.
type ConfigReport = reconcile.Report

// configLive is the App's state for applying config edits while running.
type configLive struct {
	watch interface {
		Run(context.Context) error
		Close() error
	} // *watch.FileWatcher, or serverlessWatch for a serverless.yml folder
	mu  sync.Mutex // guards App.file after NewApp and orders gateway table swaps
	rec *reconcile.Reconciler
}

var (
	_ reconcile.Registry = (*registry.Registry)(nil)
	_ reconcile.Watcher  = (*watch.Watcher)(nil)
	_ reconcile.Routes   = appRoutes{}
	_ reconcile.Triggers = appTriggers{}
)

// newReconciler wires the applier of config edits to the App's registry,
// gateway, source watcher and triggers.
func (a *App) newReconciler() *reconcile.Reconciler {
	path := a.configPath()
	return reconcile.New(reconcile.Options{
		Path: path, Registry: a.reg, Routes: appRoutes{a}, Watcher: a.watcher, Triggers: appTriggers{a},
		Read:    func(running *config.File) ([]byte, error) { return readConfigFiles(path, running) },
		Parse:   func(data []byte) (*config.File, error) { return parseConfigFile(path, data) },
		Spec:    func(f config.Function) registry.FunctionSpec { return a.debugSpec(functionSpec(f)) },
		Resolve: a.resolveCreated,
		Report: func(r ConfigReport) {
			a.cfg.Events.ConfigReload(r)
			if notes := a.configNotes(r); len(notes) > 0 {
				a.cfg.Events.ConfigNotes(notes)
			}
		},
		Logger: a.cfg.Logger,
	})
}

// appRoutes is the App's running config and gateway table.
type appRoutes struct{ a *App }

func (r appRoutes) Running() *config.File { return r.a.runningConfig() }

func (r appRoutes) Check(f *config.File) error { return gateway.CheckServices(r.a.servicesOf(f)) }

func (r appRoutes) Serve(f *config.File) error {
	a := r.a
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	old := a.file
	a.file = f
	err := a.gw.SetServices(a.services())
	if err != nil {
		a.file = old
	}
	return err
}

// appTriggers applies a function's config triggers through the App's
// registry and trigger rig.
type appTriggers struct{ a *App }

func (t appTriggers) Apply(f config.Function, prev *config.Function) error {
	return t.a.applyTriggers(f, prev)
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
	w, err := watch.NewFile(a.configPath(), a.live.rec.Reload, watch.Options{Logger: a.cfg.Logger.With("component", "watch")})
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
