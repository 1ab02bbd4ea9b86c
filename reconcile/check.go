package reconcile

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// check refuses what the config checks cannot see: a new function whose
// name an API-created function holds, a clb trigger declared on a route
// another will hold (clb.go; for a restored function, one another took
// while it was parked), triggers that fire through qualifiers that will
// not exist, and routes that clash with apigw triggers.
func (r *Reconciler) check(cur *config.File, ch config.Changes) error {
	reg := r.o.Registry
	for _, f := range ch.Added {
		if fn, err := reg.Function(f.Name); err == nil && fn.Source == reg.ManagedSourceDir(f.Name) {
			return &config.Problem{File: r.o.Path, Line: f.Line, Key: "functions." + f.Name,
				Msg: "a function of this name was created through the cloud API; delete it first or pick another name"}
		}
		// A parked function coming back: a route its file triggers need
		// may have been taken meanwhile (restore.go).
		if _, err := leaveOut(reg, r.o.Path, cur, f, applies(cur, ch)); err != nil {
			return err
		}
	}
	holders := clbHolders(reg, cur, applies(cur, ch))
	for _, f := range cur.Functions {
		if _, changed := changedFrom(ch, f.Name); changed || isAdded(ch, f.Name) {
			if err := checkCLB(r.o.Path, f, holders, false); err != nil {
				return err
			}
		}
	}
	if err := r.checkTriggers(cur); err != nil {
		return err
	}
	if err := r.o.Routes.Check(cur); err != nil {
		return fmt.Errorf("%s: services: %w", r.o.Path, err)
	}
	// A stage or API bound to an alias or version that does not exist is
	// no reason to refuse: as at start-up, the gateway answers 442 there
	// until it exists (an alias may be created or a version published
	// later), and the console warns (cmd/emulator).
	return nil
}

// checkTriggers refuses a config whose triggers fire through a qualifier
// that is neither declared in it nor present: it would fail half-applied.
func (r *Reconciler) checkTriggers(cur *config.File) error {
	for _, f := range cur.Functions {
		declared := map[string]bool{config.Latest: true, config.Default: true}
		for _, al := range f.Aliases {
			declared[al.Name] = true
		}
		for _, t := range f.Triggers {
			if declared[t.Qualifier] {
				continue
			}
			if _, err := r.o.Registry.Function(registry.Key(f.Namespace, f.Name)); err != nil {
				continue // a new function: only declared qualifiers can exist, CreateTrigger says which
			}
			if err := r.qualifierExists(registry.Key(f.Namespace, f.Name), t.Qualifier); err != nil {
				return &config.Problem{File: r.o.Path, Line: t.Line, Key: "functions." + f.Name + ".triggers " + t.Name, Msg: err.Error()}
			}
		}
	}
	return nil
}

func (r *Reconciler) qualifierExists(fn, q string) error {
	if p, ok := r.o.Registry.ParkedFunction(fn); ok {
		// The edit restores it (it is in the file again): its kept
		// versions and aliases count.
		if slices.Contains(p.Versions, q) || slices.Contains(p.Aliases, q) {
			return nil
		}
	}
	if _, err := strconv.Atoi(q); err == nil {
		if _, err := r.o.Registry.Version(fn, q); err != nil {
			return fmt.Errorf("function %s has no published version %s", fn, q)
		}
		return nil
	}
	if _, err := r.o.Registry.Alias(fn, q); err != nil {
		return fmt.Errorf("function %s has no alias %s: declare it under functions.%s.aliases or create it with `emulator alias create`", fn, q, fn)
	}
	return nil
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

// applies tells the functions of cur, by registry key, whose triggers an
// edit with changes ch applies: the ones it adds or changes.
func applies(cur *config.File, ch config.Changes) func(key string) bool {
	keys := map[string]bool{}
	for _, f := range cur.Functions {
		if _, changed := changedFrom(ch, f.Name); changed || isAdded(ch, f.Name) {
			keys[registry.Key(f.Namespace, f.Name)] = true
		}
	}
	return func(key string) bool { return keys[key] }
}

func isAdded(ch config.Changes, name string) bool {
	for _, f := range ch.Added {
		if f.Name == name {
			return true
		}
	}
	return false
}

// triggersOnly reports whether a change touches nothing but triggers and
// the async policy, which need no new $LATEST snapshot.
func triggersOnly(ch config.Changes, name string) bool {
	for _, fc := range ch.Changed {
		if fc.New.Name == name {
			return fc.Only("triggers", "async")
		}
	}
	return false
}
