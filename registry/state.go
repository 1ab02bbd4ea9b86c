package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/atomicfile"
)

const (
	stateFile   = "state.json"
	stateFormat = 1
	tmpPrefix   = ".tmp-"
)

// fnState is one function as committed. A committed fnState is never
// modified: mutations clone it, change the clone and commit the clone.
type fnState struct {
	fn       Function           // Latest is the current $LATEST snapshot
	next     int                // next version number; never decreases
	versions map[string]Version // published versions by number
	aliases  map[string]Alias   // including $DEFAULT
	triggers map[string]Trigger // by trigger name
	// parkedAt is when the function left emulator.yaml (park.go); zero
	// for an active function. Only state.parked holds parked functions.
	parkedAt time.Time
}

func (f *fnState) clone() *fnState {
	return &fnState{
		fn:       f.fn,
		next:     f.next,
		versions: maps.Clone(f.versions),
		aliases:  maps.Clone(f.aliases),
		triggers: maps.Clone(f.triggers),
		parkedAt: f.parkedAt,
	}
}

// hasVersion reports whether v is $LATEST or a published version.
func (f *fnState) hasVersion(v string) bool {
	if v == Latest {
		return true
	}
	_, ok := f.versions[v]
	return ok
}

// sortedVersions returns the published versions ascending by number.
func (f *fnState) sortedVersions() []Version {
	out := slices.Collect(maps.Values(f.versions))
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Version, out[j].Version) })
	return out
}

// sortedAliases returns $DEFAULT first, then the others by name.
func (f *fnState) sortedAliases() []Alias {
	out := slices.Collect(maps.Values(f.aliases))
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == Default) != (out[j].Name == Default) {
			return out[i].Name == Default
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func versionLess(a, b string) bool {
	na, _ := strconv.Atoi(a)
	nb, _ := strconv.Atoi(b)
	return na < nb
}

// state is the whole committed registry. Like fnState it is immutable once
// committed; with returns a copy that shares the unchanged functions.
type state struct {
	fns        map[string]*fnState    // by function key (Key)
	layers     map[string]*layerState // by layer name
	namespaces map[string]Namespace   // created namespaces; DefaultNamespace is implicit
	// parked are functions that left emulator.yaml, by key: stored, never
	// routed, listed or watched (park.go). A key is in fns or parked, not both.
	parked map[string]*fnState
}

// with returns a copy of s in which f is active; a parked function of the
// same key is restored by it.
func (s *state) with(f *fnState) *state {
	fns := maps.Clone(s.fns)
	if fns == nil {
		fns = make(map[string]*fnState)
	}
	fns[f.fn.Name] = f
	parked := s.parked
	if _, ok := parked[f.fn.Name]; ok {
		parked = maps.Clone(parked)
		delete(parked, f.fn.Name)
	}
	return &state{fns: fns, layers: s.layers, namespaces: s.namespaces, parked: parked}
}

// without returns a copy of s without function name, active or parked.
func (s *state) without(name string) *state {
	fns := maps.Clone(s.fns)
	delete(fns, name)
	parked := s.parked
	if _, ok := parked[name]; ok {
		parked = maps.Clone(parked)
		delete(parked, name)
	}
	return &state{fns: fns, layers: s.layers, namespaces: s.namespaces, parked: parked}
}

// withParked returns a copy of s in which the active function f.fn.Name
// is parked as f.
func (s *state) withParked(f *fnState) *state {
	fns := maps.Clone(s.fns)
	delete(fns, f.fn.Name)
	parked := maps.Clone(s.parked)
	if parked == nil {
		parked = make(map[string]*fnState)
	}
	parked[f.fn.Name] = f
	return &state{fns: fns, layers: s.layers, namespaces: s.namespaces, parked: parked}
}

// stored returns every function on disk, active and parked, by key.
func (s *state) stored() map[string]*fnState {
	if len(s.parked) == 0 {
		return s.fns
	}
	all := maps.Clone(s.fns)
	if all == nil {
		all = make(map[string]*fnState, len(s.parked))
	}
	maps.Copy(all, s.parked)
	return all
}

func (s *state) names() []string {
	return slices.Sorted(maps.Keys(s.fns))
}

// diskState is the format of state.json.
type diskState struct {
	Format     int            `json:"format"`
	Functions  []diskFunction `json:"functions"`
	Layers     []diskLayer    `json:"layers,omitempty"`
	Namespaces []Namespace    `json:"namespaces,omitempty"`
}

type diskFunction struct {
	Name        string         `json:"name"`
	Namespace   string         `json:"namespace"`
	Source      string         `json:"source"`
	Build       string         `json:"build,omitempty"`
	Config      FunctionConfig `json:"config"`
	AddTime     time.Time      `json:"addTime"`
	ModTime     time.Time      `json:"modTime"`
	NextVersion int            `json:"nextVersion"`
	Latest      diskVersion    `json:"latest"`
	Versions    []diskVersion  `json:"versions"`
	Aliases     []Alias        `json:"aliases"`
	// Managed marks a function whose source is the registry's own folder
	// (ManagedSourceDir); Source is then re-derived on load, so the state
	// dir can move.
	Managed  bool      `json:"managed,omitempty"`
	Triggers []Trigger `json:"triggers,omitempty"`
	// ParkedAt, when set, says the function left emulator.yaml then and is
	// parked: kept whole, not served. One field, so that the state file's
	// atomic replacement parks or restores a function in one step.
	ParkedAt time.Time `json:"parkedAt,omitzero"`
}

// diskVersion leaves out CodeDir: it is derived from the code hash, so the
// state dir can move.
type diskVersion struct {
	Version     string         `json:"version"`
	Config      FunctionConfig `json:"config"`
	CodeHash    string         `json:"codeHash"`
	CodeSize    int64          `json:"codeSize"`
	Description string         `json:"description,omitempty"`
	AddTime     time.Time      `json:"addTime"`
	ModTime     time.Time      `json:"modTime"`
}

func toDiskVersion(v Version) diskVersion {
	return diskVersion{
		Version: v.Version, Config: v.Config, CodeHash: v.CodeHash, CodeSize: v.CodeSize,
		Description: v.Description, AddTime: v.AddTime, ModTime: v.ModTime,
	}
}

func (r *Registry) fromDiskVersion(fn string, d diskVersion) Version {
	return Version{
		Function: fn, Version: d.Version, Config: d.Config, CodeHash: d.CodeHash,
		CodeDir: r.store.treePath(d.CodeHash), CodeSize: d.CodeSize,
		Description: d.Description, AddTime: d.AddTime, ModTime: d.ModTime,
	}
}

// save writes st to state.json atomically.
func (r *Registry) save(st *state) error {
	ds := diskState{Format: stateFormat, Functions: []diskFunction{}}
	all := st.stored()
	for _, name := range slices.Sorted(maps.Keys(all)) {
		f := all[name]
		df := diskFunction{
			Name: NameOf(f.fn.Name), Namespace: f.fn.Namespace, Source: f.fn.Source, Build: f.fn.Build,
			Config: f.fn.Config, AddTime: f.fn.AddTime, ModTime: f.fn.ModTime,
			NextVersion: f.next, Latest: toDiskVersion(f.fn.Latest),
			Versions: []diskVersion{}, Aliases: f.sortedAliases(),
			Managed: r.isManaged(f.fn), Triggers: f.sortedTriggers(), ParkedAt: f.parkedAt,
		}
		for _, v := range f.sortedVersions() {
			df.Versions = append(df.Versions, toDiskVersion(v))
		}
		ds.Functions = append(ds.Functions, df)
	}
	ds.Layers, ds.Namespaces = toDiskLayers(st), st.sortedNamespaces()
	data, err := json.MarshalIndent(ds, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := atomicfile.WriteFile(r.dir, stateFile, append(data, '\n')); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// load reads state.json, removing temporary files a crash left behind. A
// missing file is an empty registry.
func (r *Registry) load() (*state, error) {
	removeTemps(r.dir, stateFile+tmpPrefix, r.log)
	st := &state{fns: make(map[string]*fnState), layers: map[string]*layerState{}, namespaces: map[string]Namespace{}, parked: map[string]*fnState{}}
	path := filepath.Join(r.dir, stateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	var ds diskState
	if err := json.Unmarshal(data, &ds); err != nil {
		return nil, fmt.Errorf("load state %s: %w", path, err)
	}
	if ds.Format != stateFormat {
		return nil, fmt.Errorf("load state %s: format %d is not supported (want %d)", path, ds.Format, stateFormat)
	}
	if err := r.loadLayers(st, ds); err != nil {
		return nil, fmt.Errorf("load state %s: %w", path, err)
	}
	for _, df := range ds.Functions {
		// A state written before namespaces has no namespace: default. The
		// function's key is its name there, as it always was.
		df.Namespace = namespaceOrDefault(df.Namespace)
		df.Name = Key(df.Namespace, df.Name)
		_, dup := st.fns[df.Name]
		if _, dupParked := st.parked[df.Name]; dup || dupParked || df.Name == "" {
			return nil, fmt.Errorf("load state %s: function %q is empty or listed twice", path, df.Name)
		}
		f := &fnState{
			fn: Function{
				Name: df.Name, Namespace: df.Namespace, Source: df.Source, Build: df.Build,
				Config: df.Config, AddTime: df.AddTime, ModTime: df.ModTime,
				Latest: r.fromDiskVersion(df.Name, df.Latest),
			},
			next:     df.NextVersion,
			versions: make(map[string]Version, len(df.Versions)),
			aliases:  make(map[string]Alias, len(df.Aliases)),
			triggers: make(map[string]Trigger, len(df.Triggers)),
			parkedAt: df.ParkedAt,
		}
		if df.Managed {
			f.fn.Source = r.ManagedSourceDir(df.Name)
		}
		f.fn.Latest.Version = Latest
		if f.next < 1 {
			f.next = 1
		}
		for _, dv := range df.Versions {
			n, err := strconv.Atoi(dv.Version)
			if err != nil || n <= 0 || n >= f.next {
				return nil, fmt.Errorf("load state %s: function %s: version %q is not a number below the counter %d", path, df.Name, dv.Version, f.next)
			}
			f.versions[dv.Version] = r.fromDiskVersion(df.Name, dv)
		}
		for _, a := range df.Aliases {
			f.aliases[a.Name] = a
		}
		if _, ok := f.aliases[Default]; !ok {
			f.aliases[Default] = Alias{Name: Default, FunctionVersion: Latest, AddTime: f.fn.AddTime, ModTime: f.fn.AddTime}
		}
		for _, a := range f.aliases {
			if err := checkAliasVersions(f, a); err != nil {
				return nil, fmt.Errorf("load state %s: function %s: %w", path, df.Name, err)
			}
		}
		for _, t := range df.Triggers {
			if _, dup := f.triggers[t.Name]; dup || t.Name == "" {
				return nil, fmt.Errorf("load state %s: function %s: trigger %q is empty or listed twice", path, df.Name, t.Name)
			}
			t.Function = df.Name
			f.triggers[t.Name] = t
		}
		r.resolveLoaded(st, f)
		if !f.parkedAt.IsZero() && !df.Managed {
			st.parked[df.Name] = f
			continue
		}
		f.parkedAt = time.Time{} // a function of the cloud API is never parked
		st.fns[df.Name] = f
	}
	return st, nil
}

// removeTemps deletes entries of dir whose name starts with prefix.
func removeTemps(dir, prefix string, log interface{ Warn(string, ...any) }) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				log.Warn("remove leftover temporary file", "path", filepath.Join(dir, e.Name()), "err", err)
			}
		}
	}
}

func cloneConfig(c FunctionConfig) FunctionConfig {
	if len(c.Environment) == 0 {
		c.Environment = nil
	} else {
		c.Environment = maps.Clone(c.Environment)
	}
	if len(c.Layers) == 0 {
		c.Layers = nil
	} else {
		c.Layers = slices.Clone(c.Layers)
	}
	return c
}

func cloneVersion(v Version) Version {
	v.Config = cloneConfig(v.Config)
	v.Layers = slices.Clone(v.Layers)
	return v
}

func cloneFunction(f Function) Function {
	f.Config = cloneConfig(f.Config)
	f.Latest = cloneVersion(f.Latest)
	return f
}

func cloneAlias(a Alias) Alias {
	a.Weights = slices.Clone(a.Weights)
	a.Matches = slices.Clone(a.Matches)
	if len(a.Weights) == 0 {
		a.Weights = nil
	}
	if len(a.Matches) == 0 {
		a.Matches = nil
	}
	if a.Shadow != nil {
		s := *a.Shadow
		a.Shadow = &s
	}
	return a
}
