package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scf-emulator/emulator/dashboard"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// dashSource adapts the registry and the metrics to dashboard.Source.
type dashSource struct {
	reg *registry.Registry
	met *metrics.Metrics
}

func notFound(err error) error {
	if errors.Is(err, registry.ErrFunctionNotFound) {
		return fmt.Errorf("%w: %w", dashboard.ErrNotFound, err)
	}
	return err
}

func dashFunction(f registry.Function) dashboard.Function {
	return dashboard.Function{
		Name: f.Name, Runtime: f.Config.Runtime, Type: f.Config.Type, Handler: f.Config.Handler,
		MemorySize: f.Config.MemorySize, Timeout: f.Config.Timeout, Description: f.Config.Description,
		CodeHash: f.Latest.CodeHash, ModTime: f.Latest.ModTime,
	}
}

func (s dashSource) Functions() []dashboard.Function {
	fns := s.reg.Functions()
	out := make([]dashboard.Function, len(fns))
	for i, f := range fns {
		out[i] = dashFunction(f)
	}
	return out
}

func (s dashSource) Function(name string) (dashboard.Function, error) {
	f, err := s.reg.Function(name)
	if err != nil {
		return dashboard.Function{}, notFound(err)
	}
	return dashFunction(f), nil
}

func (s dashSource) Versions(name string) ([]dashboard.Version, error) {
	vs, err := s.reg.Versions(name)
	if err != nil {
		return nil, notFound(err)
	}
	out := make([]dashboard.Version, len(vs))
	for i, v := range vs {
		out[i] = dashboard.Version{Version: v.Version, Description: v.Description, CodeHash: v.CodeHash, CodeSize: v.CodeSize, AddTime: v.AddTime}
	}
	return out, nil
}

// Aliases goes through the registry's JSON: it is the alias's contract, and
// routing settings added to it later (shadow traffic, for one) reach the page
// without this adapter having to name them.
func (s dashSource) Aliases(name string) ([]dashboard.Alias, error) {
	as, err := s.reg.Aliases(name, "")
	if err != nil {
		return nil, notFound(err)
	}
	b, err := json.Marshal(as)
	if err != nil {
		return nil, fmt.Errorf("encoding aliases of %s: %w", name, err)
	}
	var out []dashboard.Alias
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding aliases of %s: %w", name, err)
	}
	return out, nil
}

func (s dashSource) Stats(name string, window time.Duration) []dashboard.VersionStats {
	st := s.met.Stats(name, window)
	out := make([]dashboard.VersionStats, len(st))
	for i, v := range st {
		out[i] = dashboard.VersionStats{
			Version: v.Version, Invocations: v.Invocations, Errors: v.Errors, ErrorRate: v.ErrorRate,
			Share: v.Share, P50: v.P50, P99: v.P99, ColdStarts: v.ColdStarts,
		}
	}
	return out
}

func (s dashSource) Series(name string, window, step time.Duration) []dashboard.Point {
	ps := s.met.Series(name, window, step)
	out := make([]dashboard.Point, len(ps))
	for i, p := range ps {
		out[i] = dashboard.Point{Time: p.Time, Version: p.Version, Requests: p.Requests, Errors: p.Errors}
	}
	return out
}

// dashInstances counts a function's live instances per version for the
// dashboard from the runtime's pools.
type dashInstances struct{ mgr *runtime.Manager }

func (d dashInstances) Instances(function string) []dashboard.InstanceCount {
	var out []dashboard.InstanceCount
	for _, s := range d.mgr.Stats() {
		if registry.Key(s.Spec.Namespace, s.Spec.Function) == function {
			out = append(out, dashboard.InstanceCount{Version: s.Spec.Version, Live: s.Live, Provisioned: s.Provisioned})
		}
	}
	return out
}
