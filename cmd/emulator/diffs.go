package main

import (
	"errors"
	"fmt"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/replay"
)

// The App's diff results: shadow copies in diff mode are compared by the
// gateway (gateway.Comparer) and kept in a diff.Store in the state
// directory; GET /emulator/diff, the dashboard and the rollout gate
// max-diff-rate read it; POST /emulator/diff/replay compares recorded
// requests (package replay).

// openDiffs opens the diff results of the state directory.
func (a *App) openDiffs() (err error) {
	a.diffs, err = diff.Open(a.stateDir, diff.NewRedactor(a.cfg.DiffRedact...), a.cfg.Logger.With("component", "diff"))
	if err != nil {
		return fmt.Errorf("open diff results in %s: %w", a.stateDir, err)
	}
	return a.openRequests()
}

// closeDiffs writes the diff results; after the engine, whose copies add
// to them, has stopped.
func (a *App) closeDiffs() error {
	err := a.requests.close()
	if a.diffs == nil {
		return err
	}
	return errors.Join(err, a.diffs.Close())
}

var _ gateway.Comparer = gatewayBackend{}

// WantRerun picks the noise samples.
func (b gatewayBackend) WantRerun(t gateway.Target, endpoint string) bool {
	return b.diffs != nil && b.diffs.WantRerun(t.Function, t.Version, endpoint)
}

// Compare keeps one compared copy.
func (b gatewayBackend) Compare(s diff.Sample) {
	if b.diffs != nil {
		b.diffs.Add(s)
	}
}

// diffService is admin.Diffs: the store's reports, and replays.
type diffService struct {
	*diff.Store
	*replay.Replayer
}

var _ admin.Diffs = diffService{}

// newDiffService replays through the engine, on the versions of the
// registry's aliases and the routes the gateway serves.
func (a *App) newDiffService() diffService {
	return diffService{a.diffs, replay.New(gatewayBackend{eng: a.eng}, a.reg, a.gw, a.diffs)}
}

var _ replay.Backend = gatewayBackend{}

// Direct is the target of one version whatever the alias routes to: what
// a replayed request runs on.
func (b gatewayBackend) Direct(fn, q, v string) (gateway.Target, error) {
	t, err := b.eng.Direct(fn, q, v, registry.RouteDirect)
	if err != nil {
		return gateway.Target{}, err
	}
	return gateway.Target{Function: fn, Namespace: registry.NamespaceOf(fn), Qualifier: q, Version: t.Version,
		Route: string(t.Route), Type: t.Config.Type, MemoryMB: t.Config.MemorySize, TimeoutSec: t.Config.Timeout, Handle: t}, nil
}
