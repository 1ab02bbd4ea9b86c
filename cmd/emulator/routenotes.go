package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// unboundStages are the warnings, for the banner and after live edits, of
// the stages of f's services bound to an alias or version that a function
// of their APIs does not have: every request there answers 442. Not
// errors, at start-up or in a live edit alike: the alias may be created
// later through the cloud API or the CLI, the version published, and the
// stage then routes to it with no restart.
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
		for _, st := range stageNames(s) {
			missing := map[string][]string{} // qualifier -> functions without it
			var qs []string
			for _, api := range s.APIs {
				q, ok := api.Stages[st]
				if !ok {
					q = s.Stages[st]
				}
				key := api.Function
				if k, ok := keys[key]; ok {
					key = k
				}
				if !a.lacksQualifier(key, q) || slices.Contains(missing[q], api.Function) {
					continue
				}
				if len(missing[q]) == 0 {
					qs = append(qs, q)
				}
				missing[q] = append(missing[q], api.Function)
			}
			for _, q := range qs {
				fns := missing[q]
				which := "function " + fns[0] + " does"
				if len(fns) > 1 {
					which = "functions " + strings.Join(fns, ", ") + " do"
				}
				msg := fmt.Sprintf("stage %s is bound to alias %s, which %s not have: its requests answer 442 until the alias exists (emulator alias create %s %s --version N)",
					st, q, which, fns[0], q)
				if !isAliasName(q) {
					msg = fmt.Sprintf("stage %s is bound to version %s, which %s not have: its requests answer 442 until it is published (emulator publish %s)",
						st, q, which, fns[0])
				}
				out = append(out, &config.Problem{File: f.Path, Line: s.Line, Key: "services." + s.Name + ".stages." + st, Msg: msg})
			}
		}
	}
	return out
}

// stageNames are the stages of s, its own and those only an API's
// override names, sorted.
func stageNames(s config.Service) []string {
	var out []string
	for st := range s.Stages {
		out = append(out, st)
	}
	for _, api := range s.APIs {
		for st := range api.Stages {
			out = append(out, st)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isAliasName reports whether qualifier q names an alias other than
// $DEFAULT (which always exists): not a version number, not $LATEST.
func isAliasName(q string) bool {
	if q == "" || strings.HasPrefix(q, "$") {
		return false
	}
	return strings.ContainsFunc(q, func(r rune) bool { return r < '0' || r > '9' })
}

// lacksQualifier reports whether the registry's function key exists
// without alias or published version q. $LATEST and $DEFAULT always exist;
// a missing function is another warning's business.
func (a *App) lacksQualifier(key, q string) bool {
	if q == "" || strings.HasPrefix(q, "$") {
		return false
	}
	if _, err := a.reg.Function(key); err != nil {
		return false
	}
	if isAliasName(q) {
		_, err := a.reg.Alias(key, q)
		return errors.Is(err, registry.ErrAliasNotFound)
	}
	_, err := a.reg.Version(key, q)
	return errors.Is(err, registry.ErrVersionNotFound)
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
