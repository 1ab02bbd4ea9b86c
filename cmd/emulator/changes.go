package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/reconcile"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/watch"
)

// onChange keeps the watcher and the gateway in step with functions and
// triggers created or deleted through the cloud API.
func (a *App) onChange(c registry.Change) {
	log := a.cfg.Logger
	switch c.Kind {
	case registry.ChangeDefined:
		f, err := a.reg.Function(c.Function)
		if err != nil {
			return
		}
		if err := a.watcher.Add(f.Name, f.Source); err != nil && !errors.Is(err, watch.ErrExists) {
			log.Warn("cannot watch the function's source", "function", f.Name, "err", err)
		}
		a.resolveCreated(f.Name)
	case registry.ChangeFunctionDeleted, registry.ChangeFunctionParked:
		if err := a.watcher.Remove(c.Function); err != nil && !errors.Is(err, watch.ErrNotWatched) {
			log.Warn("cannot stop watching", "function", c.Function, "err", err)
		}
		a.met.Forget(c.Function, "")
		if c.Kind == registry.ChangeFunctionDeleted { // a parked function keeps its logs
			if err := a.logs.Forget(registry.NamespaceOf(c.Function), c.Function); err != nil {
				log.Warn("cannot drop the deleted function's logs", "function", c.Function, "err", err)
			}
		}
		a.rebuildRoutes()
	case registry.ChangeFunctionRestored:
		// Its provisioned instances drained when it was parked; the
		// settings stayed in the capacity store.
		for v, n := range a.capa.Provisioned(c.Function) {
			if err := a.capa.SetProvisioned(c.Function, v, n); err != nil {
				log.Warn("cannot provision the restored function", "function", c.Function, "version", v, "err", err)
			}
		}
		a.rebuildRoutes()
	case registry.ChangeTrigger:
		a.rebuildRoutes()
	case registry.ChangeVersionDeleted:
		a.met.Forget(c.Function, c.Version)
	}
}

// rebuildRoutes swaps in a new gateway table. A table the gateway refuses
// (a trigger clashing with a config API) keeps the old one and says why.
// A trigger that makes one service several gets the console's warning that
// bare gateway URLs now answer 404, as a config edit adding one does.
func (a *App) rebuildRoutes() {
	a.live.mu.Lock() // a config reload may be swapping the file and the table
	defer a.live.mu.Unlock()
	before := len(a.gw.Services())
	svcs := a.services()
	if err := a.gw.SetServices(svcs); err != nil {
		a.cfg.Logger.Error("gateway routes not updated", "err", err)
		return
	}
	if before <= 1 && len(svcs) > 1 {
		names := make([]string, 0, len(svcs))
		for _, s := range svcs {
			names = append(names, s.Name)
		}
		a.cfg.Events.ConfigNotes([]string{a.severalServicesNote(names)})
	}
}

// reload is the watcher's callback: rebuild and re-snapshot $LATEST.
func (a *App) reload(ctx context.Context, name string) ([]string, error) {
	if layer, ok := strings.CutPrefix(name, reconcile.LayerWatchPrefix); ok {
		return nil, a.reloadLayer(ctx, layer)
	}
	start := time.Now()
	r, err := a.reg.RefreshLatest(ctx, name)
	a.cfg.Events.Reload(name, r, time.Since(start), err)
	return r.BuildOutputs, err
}
