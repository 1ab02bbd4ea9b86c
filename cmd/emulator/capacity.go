package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/capacity"
	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// openCapacity restores provisioned and reserved concurrency from the state
// folder, adds the config file's provisioned counts the state lacks, starts
// the provisioned instances and follows the registry from then on.
func openCapacity(ctx context.Context, dir string, file *config.File, reg *registry.Registry, mgr *runtime.Manager, specs capacity.Specs, log *slog.Logger) (*capacity.Store, error) {
	st, err := capacity.Open(ctx, dir, mgr, specs, log)
	if err != nil {
		return nil, err
	}
	for _, f := range file.Functions {
		if err := st.Seed(registry.Key(f.Namespace, f.Name), f.Provisioned); err != nil {
			return nil, err
		}
	}
	st.Apply()
	reg.Subscribe(st.OnChange)
	return st, nil
}

// capacityAPI is api.Capacity: the store's settings with the runtime's
// counts of started provisioned instances.
type capacityAPI struct {
	*capacity.Store
	mgr *runtime.Manager
}

func (c capacityAPI) Provisioned(function string) []api.ProvisionedVersion {
	want := c.Store.Provisioned(function)
	live := map[string]int{}
	for _, s := range c.mgr.Stats() {
		if registry.Key(s.Spec.Namespace, s.Spec.Function) == function {
			live[s.Spec.Version] += min(s.Live, s.Provisioned)
		}
	}
	out := make([]api.ProvisionedVersion, 0, len(want))
	for v, n := range want {
		out = append(out, api.ProvisionedVersion{Version: v, Allocated: n, Available: min(live[v], n)})
	}
	slices.SortFunc(out, func(a, b api.ProvisionedVersion) int {
		return cmp.Or(cmp.Compare(len(a.Version), len(b.Version)), cmp.Compare(a.Version, b.Version)) // numeric order
	})
	return out
}

// printInstances adds the live instances by version to `emulator stats`:
// provisioned (kept warm) and on-demand (started by requests, reaped idle).
func printInstances(out io.Writer, st statsReply) {
	if len(st.Instances) == 0 {
		return
	}
	type count struct{ prov, demand int }
	byVersion := map[string]*count{}
	var order []string
	for _, in := range st.Instances {
		c := byVersion[in.Version]
		if c == nil {
			c = &count{}
			byVersion[in.Version] = c
			order = append(order, in.Version)
		}
		c.prov += in.Provisioned
		c.demand += in.Live - in.Provisioned
	}
	parts := make([]string, 0, len(order))
	for _, v := range order {
		parts = append(parts, fmt.Sprintf("%s: %d provisioned + %d on-demand", v, byVersion[v].prov, byVersion[v].demand))
	}
	fmt.Fprintf(out, "instances  %s\n", strings.Join(parts, "; "))
}
