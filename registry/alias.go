package registry

import (
	"fmt"

	"github.com/scf-emulator/emulator/platform"
)

// CreateAlias creates alias a of function name. Names starting with '$' are
// reserved; FunctionVersion "" means $LATEST; every version a routes to must
// exist. AddTime and ModTime are set now.
//
// Errors wrap ErrFunctionNotFound, ErrInvalidAliasName, ErrAliasExists,
// ErrInvalidRouting or ErrVersionNotFound.
func (r *Registry) CreateAlias(name string, a Alias) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	if err := checkCreatable(a.Name); err != nil {
		return err
	}
	if _, ok := f.aliases[a.Name]; ok {
		return fmt.Errorf("%w: %s of function %s", ErrAliasExists, a.Name, name)
	}
	a, err = prepareAlias(f, a)
	if err != nil {
		return err
	}
	a.AddTime = r.stamp()
	a.ModTime = a.AddTime
	next := f.clone()
	next.aliases[a.Name] = a
	return r.commitAlias(next, a.Name)
}

// UpdateAlias replaces the primary version, weights, rules, sticky header,
// shadow and description of an existing alias, $DEFAULT included. ModTime is set now;
// AddTime is kept.
//
// Errors wrap ErrFunctionNotFound, ErrAliasNotFound, ErrInvalidRouting or
// ErrVersionNotFound.
func (r *Registry) UpdateAlias(name string, a Alias) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	old, ok := f.aliases[a.Name]
	if !ok {
		return fmt.Errorf("%w: %s of function %s", ErrAliasNotFound, a.Name, name)
	}
	a, err = prepareAlias(f, a)
	if err != nil {
		return err
	}
	a.AddTime, a.ModTime = old.AddTime, r.stamp()
	next := f.clone()
	next.aliases[a.Name] = a
	return r.commitAlias(next, a.Name)
}

// DeleteAlias deletes an alias. $DEFAULT cannot be deleted.
//
// Errors wrap ErrFunctionNotFound, ErrDefaultAlias or ErrAliasNotFound.
func (r *Registry) DeleteAlias(name, alias string) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	if alias == Default {
		return fmt.Errorf("%w: function %s", ErrDefaultAlias, name)
	}
	if _, ok := f.aliases[alias]; !ok {
		return fmt.Errorf("%w: %s of function %s", ErrAliasNotFound, alias, name)
	}
	next := f.clone()
	delete(next.aliases, alias)
	return r.commitAlias(next, alias)
}

func (r *Registry) commitAlias(f *fnState, alias string) error {
	if err := r.commitLocked(f, Change{Kind: ChangeAlias, Function: f.fn.Name, Alias: alias}); err != nil {
		return err
	}
	r.log.Info("alias changed", "function", f.fn.Name, "alias", alias)
	return nil
}

// Alias returns one alias of function name.
func (r *Registry) Alias(name, alias string) (Alias, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return Alias{}, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	a, ok := f.aliases[alias]
	if !ok {
		return Alias{}, fmt.Errorf("%w: %s of function %s", ErrAliasNotFound, alias, name)
	}
	return cloneAlias(a), nil
}

// Aliases returns the aliases of function name, $DEFAULT first and then by
// name. A non-empty version keeps only the aliases that can route to it, as
// primary, weighted, rule or shadow version.
func (r *Registry) Aliases(name, version string) ([]Alias, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	var out []Alias
	for _, a := range f.sortedAliases() {
		if version == "" || aliasUses(a, version) {
			out = append(out, cloneAlias(a))
		}
	}
	return out, nil
}

// aliasUses reports whether a can route to version, copies included, so a
// shadow version cannot be deleted from under its alias.
func aliasUses(a Alias, version string) bool {
	if a.FunctionVersion == version {
		return true
	}
	for _, w := range a.Weights {
		if w.Version == version {
			return true
		}
	}
	for _, m := range a.Matches {
		if m.Version == version {
			return true
		}
	}
	return a.Shadow != nil && a.Shadow.Version == version
}

// checkCreatable rejects names users may not create: reserved '$' names
// ($DEFAULT, which Compile lets through, included) and invalid ones.
func checkCreatable(name string) error {
	if err := platform.CheckAliasName(name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidAliasName, err)
	}
	return nil
}

// prepareAlias validates a against function f and returns the form that is
// stored: primary "" spelled $LATEST, empty lists nil, slices copied.
func prepareAlias(f *fnState, a Alias) (Alias, error) {
	a = cloneAlias(a)
	if a.FunctionVersion == "" {
		a.FunctionVersion = Latest
	}
	if _, err := Compile(a); err != nil {
		return Alias{}, err
	}
	if err := checkAliasVersions(f, a); err != nil {
		return Alias{}, err
	}
	return a, nil
}

// checkAliasVersions reports the first version a routes to that f lacks.
func checkAliasVersions(f *fnState, a Alias) error {
	missing := func(v string) error {
		return fmt.Errorf("%w: alias %s routes to version %s, which function %s does not have", ErrVersionNotFound, a.Name, v, f.fn.Name)
	}
	if !f.hasVersion(a.FunctionVersion) {
		return missing(a.FunctionVersion)
	}
	for _, w := range a.Weights {
		if !f.hasVersion(w.Version) {
			return missing(w.Version)
		}
	}
	for _, m := range a.Matches {
		if !f.hasVersion(m.Version) {
			return missing(m.Version)
		}
	}
	if a.Shadow != nil && !f.hasVersion(a.Shadow.Version) {
		return fmt.Errorf("%w: alias %s copies requests to shadow version %s, which function %s does not have",
			ErrInvalidRouting, a.Name, a.Shadow.Version, f.fn.Name)
	}
	return nil
}
