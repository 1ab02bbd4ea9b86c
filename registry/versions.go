package registry

import "fmt"

// Versions returns the published versions of name, ascending by number.
// $LATEST is not included; Function(name).Latest is.
func (r *Registry) Versions(name string) ([]Version, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	vs := f.sortedVersions()
	for i := range vs {
		vs[i] = cloneVersion(vs[i])
	}
	return vs, nil
}

// Version returns one version of name; version may be $LATEST.
func (r *Registry) Version(name, version string) (Version, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return Version{}, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	if version == Latest {
		return cloneVersion(f.fn.Latest), nil
	}
	v, ok := f.versions[version]
	if !ok {
		return Version{}, fmt.Errorf("%w: version %s of function %s", ErrVersionNotFound, version, name)
	}
	return cloneVersion(v), nil
}

// DeleteVersion deletes a published version. Its number is never reused. The
// tree stays on disk until the next Open, because instances of the version
// may still be draining.
//
// Errors wrap ErrFunctionNotFound, ErrInvalidQualifier ($LATEST),
// ErrVersionNotFound or ErrAliasBind (an alias routes to the version).
func (r *Registry) DeleteVersion(name, version string) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	if version == Latest {
		return fmt.Errorf("%w: $LATEST cannot be deleted", ErrInvalidQualifier)
	}
	if _, ok := f.versions[version]; !ok {
		return fmt.Errorf("%w: version %s of function %s", ErrVersionNotFound, version, name)
	}
	for _, a := range f.sortedAliases() {
		if aliasUses(a, version) {
			return fmt.Errorf("%w: version %s is used by alias %s", ErrAliasBind, version, a.Name)
		}
	}
	next := f.clone()
	delete(next.versions, version)
	if err := r.commitLocked(next, Change{Kind: ChangeVersionDeleted, Function: name, Version: version}); err != nil {
		return err
	}
	r.log.Info("version deleted", "function", name, "version", version)
	return nil
}
