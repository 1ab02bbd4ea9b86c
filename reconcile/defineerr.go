package reconcile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// VersionLister is what DefineError reads of the registry, when it has it,
// to name the alias at fault and the versions that exist.
type VersionLister interface {
	Versions(name string) ([]registry.Version, error)
	Aliases(name, version string) ([]registry.Alias, error)
}

// DefineError is the error of config function f, which the registry
// refused with err, at start-up or in a live edit; reg may be a
// VersionLister. An alias of the file that routes to a version
// the function does not have is the file's error (exit code 2), at the
// alias's line; a refused alias otherwise is one at the function's line.
// Other errors (a failed build, the state) are said once, with the file's
// line: the registry's errors name the function already.
func DefineError(reg any, path string, f config.Function, err error) error {
	aliasErr := errors.Is(err, registry.ErrVersionNotFound) || errors.Is(err, registry.ErrInvalidRouting) ||
		errors.Is(err, registry.ErrAliasExists) || errors.Is(err, registry.ErrInvalidAliasName)
	vl, lists := reg.(VersionLister)
	if aliasErr && lists {
		if a, v, ok := missingVersion(vl, f); ok {
			return &config.Problem{File: path, Line: a.Line, Key: "functions." + f.Name + ".aliases." + a.Name,
				Msg: fmt.Sprintf("version %s does not exist: function %s has %s; publish it first (emulator publish %s) or point the alias at an existing version",
					v, f.Name, haveVersions(vl, f.Name), f.Name)}
		}
	}
	if aliasErr {
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
func missingVersion(reg VersionLister, f config.Function) (config.Alias, string, bool) {
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
func haveVersions(reg VersionLister, name string) string {
	vs, _ := reg.Versions(name) // ascending
	if len(vs) == 0 {
		return "only " + registry.Latest
	}
	names := make([]string, 0, len(vs))
	for _, v := range vs {
		names = append(names, v.Version)
	}
	return "versions " + VersionRanges(names) + " and " + registry.Latest
}

// VersionRanges writes ascending version numbers compactly: 1-3, 5.
func VersionRanges(vs []string) string {
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && isNext(vs[j], vs[j+1]) {
			j++
		}
		if j > i {
			parts = append(parts, vs[i]+"-"+vs[j])
		} else {
			parts = append(parts, vs[i])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func isNext(a, b string) bool {
	na, err1 := strconv.Atoi(a)
	nb, err2 := strconv.Atoi(b)
	return err1 == nil && err2 == nil && nb == na+1
}
