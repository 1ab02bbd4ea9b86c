package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// defineError is the start-up error of config function f, which the
// registry refused with err. An alias of the file that routes to a version
// the function does not have is the file's error (exit code 2), at the
// alias's line; a refused alias otherwise is one at the function's line.
// Other errors (a failed build, the state) are said once, with the file's
// line: the registry's errors name the function already.
func defineError(reg *registry.Registry, path string, f config.Function, err error) error {
	aliasErr := errors.Is(err, registry.ErrVersionNotFound) || errors.Is(err, registry.ErrInvalidRouting) ||
		errors.Is(err, registry.ErrAliasExists) || errors.Is(err, registry.ErrInvalidAliasName)
	if aliasErr {
		if a, v, ok := missingVersion(reg, f); ok {
			return &config.Problem{File: path, Line: a.Line, Key: "functions." + f.Name + ".aliases." + a.Name,
				Msg: fmt.Sprintf("version %s does not exist: function %s has %s; publish it first (emulator publish %s) or point the alias at an existing version",
					v, f.Name, haveVersions(reg, f.Name), f.Name)}
		}
		return &config.Problem{File: path, Line: f.Line, Key: "functions." + f.Name + ".aliases", Msg: withoutFunction(err, f.Name)}
	}
	return fmt.Errorf("%s:%d: function %s: %s", path, f.Line, f.Name, withoutFunction(err, f.Name))
}

// withoutFunction is err's text without a leading "function NAME: ".
func withoutFunction(err error, name string) string {
	return strings.TrimPrefix(err.Error(), "function "+name+": ")
}

// missingVersion finds the first alias of f that the registry would create
// (state wins for the ones it has) and that routes to a version f does not
// have, and that version.
func missingVersion(reg *registry.Registry, f config.Function) (config.Alias, string, bool) {
	have := map[string]bool{registry.Latest: true}
	if vs, err := reg.Versions(f.Name); err == nil {
		for _, v := range vs {
			have[v.Version] = true
		}
	}
	existing := map[string]bool{}
	if as, err := reg.Aliases(f.Name, ""); err == nil {
		for _, a := range as {
			existing[a.Name] = true
		}
	}
	for _, a := range f.Aliases {
		if existing[a.Name] {
			continue
		}
		for _, v := range aliasVersions(a) {
			if !have[v] {
				return a, v, true
			}
		}
	}
	return config.Alias{}, "", false
}

// aliasVersions are the versions alias a routes to, copies included.
func aliasVersions(a config.Alias) []string {
	vs := []string{a.Version}
	for _, w := range a.Weights {
		vs = append(vs, w.Version)
	}
	for _, r := range a.Rules {
		vs = append(vs, r.Version)
	}
	if a.Shadow != nil {
		vs = append(vs, a.Shadow.Version)
	}
	return vs
}

// haveVersions says which versions function name has: "versions 1-3 and
// $LATEST" or "only $LATEST".
func haveVersions(reg *registry.Registry, name string) string {
	vs, _ := reg.Versions(name) // ascending
	if len(vs) == 0 {
		return "only " + registry.Latest
	}
	names := make([]string, 0, len(vs))
	for _, v := range vs {
		names = append(names, v.Version)
	}
	return "versions " + versionRanges(names) + " and " + registry.Latest
}
