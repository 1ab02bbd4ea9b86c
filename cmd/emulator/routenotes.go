package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// unboundStages are the warnings, for the banner and after live edits, of
// the stages of f's services bound to an alias that a function of their
// APIs does not have: every request there answers 442. Not errors: the
// alias may be created later through the cloud API or the CLI.
func (a *App) unboundStages(f *config.File) []*config.Problem {
	if f == nil {
		return nil
	}
	keys := map[string]string{}
	for _, fn := range f.Functions {
		keys[fn.Name] = registry.Key(fn.Namespace, fn.Name)
	}
	var out []*config.Problem
	for _, s := range f.Services {
		stages := make([]string, 0, len(s.Stages))
		for st := range s.Stages {
			stages = append(stages, st)
		}
		slices.Sort(stages)
		for _, st := range stages {
			missing := map[string][]string{} // alias -> functions without it
			var aliases []string
			for _, api := range s.APIs {
				q, ok := api.Stages[st]
				if !ok {
					q = s.Stages[st]
				}
				if !isAliasName(q) {
					continue
				}
				key := api.Function
				if k, ok := keys[key]; ok {
					key = k
				}
				if !a.lacksAlias(key, q) || slices.Contains(missing[q], api.Function) {
					continue
				}
				if len(missing[q]) == 0 {
					aliases = append(aliases, q)
				}
				missing[q] = append(missing[q], api.Function)
			}
			for _, q := range aliases {
				fns := missing[q]
				which := "function " + fns[0] + " does"
				if len(fns) > 1 {
					which = "functions " + strings.Join(fns, ", ") + " do"
				}
				out = append(out, &config.Problem{File: f.Path, Line: s.Line, Key: "services." + s.Name + ".stages." + st,
					Msg: fmt.Sprintf("stage %s is bound to alias %s, which %s not have: its requests answer 442 until the alias exists (emulator alias create %s %s --version N)",
						st, q, which, fns[0], q)})
			}
		}
	}
	return out
}

// isAliasName reports whether qualifier q names an alias other than
// $DEFAULT (which always exists): not a version number, not $LATEST.
func isAliasName(q string) bool {
	if q == "" || strings.HasPrefix(q, "$") {
		return false
	}
	return strings.ContainsFunc(q, func(r rune) bool { return r < '0' || r > '9' })
}

// lacksAlias reports whether the registry's function key exists without
// alias name. A missing function is another warning's business.
func (a *App) lacksAlias(key, name string) bool {
	as, err := a.reg.Aliases(key, "")
	if err != nil {
		return false
	}
	return !slices.ContainsFunc(as, func(al registry.Alias) bool { return al.Name == name })
}

// configNotes are what the console adds under an applied config edit: the
// stages bound to missing aliases, and, when the edit made the one service
// several, that requests now need the service's Host.
func (a *App) configNotes(r ConfigReport) []string {
	if r.Err != nil || r.Recovered {
		return nil
	}
	f := a.runningConfig()
	var notes []string
	for _, p := range a.unboundStages(f) {
		notes = append(notes, p.Error())
	}
	if f != nil && len(r.Changes.ServicesAdded) > 0 && len(f.Services) > 1 &&
		len(f.Services)-len(r.Changes.ServicesAdded)+len(r.Changes.ServicesRemoved) <= 1 {
		names := make([]string, 0, len(f.Services))
		for _, s := range f.Services {
			names = append(names, s.Name)
		}
		notes = append(notes, a.severalServicesNote(names))
	}
	return notes
}

// severalServicesNote says that the gateway, now serving the services
// named, needs each request's Host to pick one.
func (a *App) severalServicesNote(names []string) string {
	urls := make([]string, 0, len(names))
	for _, n := range names {
		urls = append(urls, serviceURL(a.GatewayURL(), n))
	}
	return fmt.Sprintf("there are %d services now: the gateway tells them apart by Host, so a request needs "+
		"Host: <service>.localhost (%s); a bare %s answers 404 \"no service match host\"",
		len(names), strings.Join(urls, ", "), a.GatewayURL())
}
