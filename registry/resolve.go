package registry

import (
	"fmt"
	"maps"

	"github.com/scf-emulator/emulator/platform"
)

// table is the immutable routing view of the registry. A mutation builds a
// new table and swaps it in; Resolve only ever reads one.
type table struct {
	fns map[string]*fnTable
}

// fnTable is the routing view of one function.
type fnTable struct {
	versions map[string]versionEntry   // by version, including Latest
	aliases  map[string]*CompiledAlias // by name, including Default
}

// versionEntry is what a request routed to one version needs to run it, so
// that a caller of Resolve never looks the version up a second time.
type versionEntry struct {
	config         FunctionConfig
	codeHash, code string // codeHash is the version's RunHash
	layers         LayerTrees
}

func entryOf(v Version) versionEntry {
	return versionEntry{config: v.Config, codeHash: v.RunHash(), code: v.CodeDir, layers: NewLayerTrees(v.LayerDirs())}
}

func buildFnTable(f *fnState) (*fnTable, error) {
	ft := &fnTable{
		versions: make(map[string]versionEntry, len(f.versions)+1),
		aliases:  make(map[string]*CompiledAlias, len(f.aliases)),
	}
	ft.versions[Latest] = entryOf(f.fn.Latest)
	for n, v := range f.versions {
		ft.versions[n] = entryOf(v)
	}
	for n, a := range f.aliases {
		c, err := Compile(a)
		if err != nil {
			return nil, fmt.Errorf("alias %s: %w", n, err)
		}
		ft.aliases[n] = c
	}
	return ft, nil
}

// with returns a copy of t in which function name routes through ft.
func (t *table) with(name string, ft *fnTable) *table {
	fns := maps.Clone(t.fns)
	if fns == nil {
		fns = make(map[string]*fnTable)
	}
	fns[name] = ft
	return &table{fns: fns}
}

// without returns a copy of t in which function name does not exist.
func (t *table) without(name string) *table {
	fns := maps.Clone(t.fns)
	delete(fns, name)
	return &table{fns: fns}
}

// Resolve turns a qualifier into a concrete version and that version's
// configuration; the Decision also carries the version's code (CodeHash,
// CodeDir). "" means $DEFAULT; an alias is decided with Decide, drawing
// a random number only when weights remain to be applied, and a second,
// independent one for the alias's shadow copy (Decision.Shadow); $LATEST or a
// published number routes directly. keys may be nil. It takes no locks and,
// on success, allocates nothing. The returned config's Environment map is
// shared and must not be modified.
//
// Errors wrap ErrFunctionNotFound, ErrAliasNotFound (the qualifier looks like
// an alias name), ErrVersionNotFound (it is a number) or ErrInvalidQualifier.
func (r *Registry) Resolve(name, qualifier string, keys Keys) (Decision, FunctionConfig, error) {
	ft, ok := r.table.Load().fns[name]
	if !ok {
		return Decision{}, FunctionConfig{}, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	if qualifier == "" {
		qualifier = Default
	}
	var d Decision
	if a, ok := ft.aliases[qualifier]; ok {
		d = r.decide(a, keys)
		if a.hasShadow() && d.Version != a.shadow {
			d.Shadow = a.ShadowFor(d.Version, r.shadowDraw(a))
			d.ShadowDiff = d.Shadow != "" && a.shadowDiff
		}
	} else if _, ok := ft.versions[qualifier]; ok {
		d = Decision{Version: qualifier, Route: RouteDirect}
	} else {
		return Decision{}, FunctionConfig{}, qualifierError(name, qualifier)
	}
	v, ok := ft.versions[d.Version]
	if !ok {
		// Unreachable while mutations keep aliases pointing at live versions.
		return Decision{}, FunctionConfig{}, fmt.Errorf("%w: alias %s of %s routes to missing version %s", ErrVersionNotFound, d.Alias, name, d.Version)
	}
	d.CodeHash, d.CodeDir, d.Layers = v.codeHash, v.code, v.layers
	return d, v.config, nil
}

// decide is Decide with the random draw made only when it matters, so that
// alias without weights do not consume the seeded sequence.
func (r *Registry) decide(a *CompiledAlias, keys Keys) Decision {
	if d, ok := a.ruleHit(keys); ok {
		return d
	}
	if len(a.weights) == 0 {
		return Decision{Version: a.primary, Route: RoutePrimary, Alias: a.name}
	}
	p, ok := a.stickyPoint(keys)
	if !ok {
		p = r.rand()
	}
	return a.pick(p)
}

// shadowDraw draws for the shadow copy, skipping the draw when every
// request is copied so a weight of 1 does not consume the seeded sequence.
func (r *Registry) shadowDraw(a *CompiledAlias) float64 {
	if a.shadowWeight >= 1 {
		return 0
	}
	return r.rand()
}

func qualifierError(name, q string) error {
	switch platform.Qualifier(q) {
	case platform.QualifierVersion:
		return fmt.Errorf("%w: version %s of function %s", ErrVersionNotFound, q, name)
	case platform.QualifierAlias:
		return fmt.Errorf("%w: %s of function %s", ErrAliasNotFound, q, name)
	default:
		return fmt.Errorf("%w: %q is neither $LATEST, a version number nor an alias name", ErrInvalidQualifier, q)
	}
}
