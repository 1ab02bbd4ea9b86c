package config

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Changes is what an edit of the config file changed: the input of a live
// reload. Line numbers are not changes: moving a block or adding a comment
// changes nothing.
type Changes struct {
	Added   []Function       // functions only in the new file, in its order
	Removed []Function       // functions only in the old file, in its order
	Changed []FunctionChange // functions in both that differ, in the new file's order
	// Services, by name: only in the new file, only in the old one, or in
	// both with different stages or APIs.
	ServicesAdded, ServicesRemoved, ServicesChanged []string
	// Layers of the top-level layers: section, by name, likewise.
	LayersAdded, LayersRemoved, LayersChanged []string
}

// FunctionChange is one function present before and after an edit.
type FunctionChange struct {
	Old, New Function
	// Fields are the YAML keys whose values differ, in the order of the
	// config reference: source, runtime, type, handler, memorySize, timeout,
	// environment, build, image, imageConfig, description, aliases.
	Fields []string
}

// Empty reports whether the edit changed nothing that runs.
func (c Changes) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0 && !c.ServicesDiffer() && !c.LayersDiffer()
}

// LayersDiffer reports whether the layers: section changed.
func (c Changes) LayersDiffer() bool {
	return len(c.LayersAdded)+len(c.LayersRemoved)+len(c.LayersChanged) > 0
}

// ServicesDiffer reports whether the gateway's routes need rebuilding.
func (c Changes) ServicesDiffer() bool {
	return len(c.ServicesAdded)+len(c.ServicesRemoved)+len(c.ServicesChanged) > 0
}

// Only reports whether every field of a change is one of keys.
func (fc FunctionChange) Only(keys ...string) bool {
	for _, f := range fc.Fields {
		if !slices.Contains(keys, f) {
			return false
		}
	}
	return true
}

// Diff compares two configs; either may be nil (no file, or nothing loaded
// yet), which counts as a config without functions or services.
func Diff(old, cur *File) Changes {
	if old == nil {
		old = &File{}
	}
	if cur == nil {
		cur = &File{}
	}
	var c Changes
	before := make(map[string]Function, len(old.Functions))
	for _, f := range old.Functions {
		before[f.Name] = f
	}
	after := make(map[string]bool, len(cur.Functions))
	for _, f := range cur.Functions {
		after[f.Name] = true
		o, ok := before[f.Name]
		if !ok {
			c.Added = append(c.Added, f)
			continue
		}
		if fields := functionFields(o, f); len(fields) > 0 {
			c.Changed = append(c.Changed, FunctionChange{Old: o, New: f, Fields: fields})
		}
	}
	for _, f := range old.Functions {
		if !after[f.Name] {
			c.Removed = append(c.Removed, f)
		}
	}

	oldSvc := make(map[string]Service, len(old.Services))
	for _, s := range old.Services {
		oldSvc[s.Name] = s
	}
	newSvc := make(map[string]bool, len(cur.Services))
	for _, s := range cur.Services {
		newSvc[s.Name] = true
		o, ok := oldSvc[s.Name]
		switch {
		case !ok:
			c.ServicesAdded = append(c.ServicesAdded, s.Name)
		case !sameService(o, s):
			c.ServicesChanged = append(c.ServicesChanged, s.Name)
		}
	}
	for _, s := range old.Services {
		if !newSvc[s.Name] {
			c.ServicesRemoved = append(c.ServicesRemoved, s.Name)
		}
	}
	c.LayersAdded, c.LayersRemoved, c.LayersChanged = diffLayers(old.Layers, cur.Layers)
	return c
}

// diffLayers compares the layers: sections by name, ignoring line numbers.
func diffLayers(old, cur []Layer) (added, removed, changed []string) {
	before := make(map[string]Layer, len(old))
	for _, l := range old {
		l.Line = 0
		before[l.Name] = l
	}
	after := make(map[string]bool, len(cur))
	for _, l := range cur {
		after[l.Name] = true
		l.Line = 0
		o, ok := before[l.Name]
		switch {
		case !ok:
			added = append(added, l.Name)
		case !reflect.DeepEqual(o, l):
			changed = append(changed, l.Name)
		}
	}
	for _, l := range old {
		if !after[l.Name] {
			removed = append(removed, l.Name)
		}
	}
	return added, removed, changed
}

// functionFields lists the keys whose values differ between a and b.
func functionFields(a, b Function) []string {
	checks := []struct {
		key  string
		same bool
	}{
		{"source", a.Source == b.Source},
		{"runtime", a.Runtime == b.Runtime},
		{"type", a.Type == b.Type},
		{"handler", a.Handler == b.Handler},
		{"memorySize", a.MemorySize == b.MemorySize},
		{"timeout", a.Timeout == b.Timeout},
		// nil and empty are the same: no variables.
		{"environment", maps.Equal(a.Environment, b.Environment)},
		{"build", a.Build == b.Build},
		{"image", a.Image == b.Image},
		{"imageConfig", reflect.DeepEqual(a.ImageConfig, b.ImageConfig)},
		{"description", a.Description == b.Description},
		{"aliases", reflect.DeepEqual(aliasesNoLines(a.Aliases), aliasesNoLines(b.Aliases))},
		{"layers", layerList(a.Layers) == layerList(b.Layers)},
		{"concurrency", a.Concurrency == b.Concurrency},
		{"provisioned", maps.Equal(a.Provisioned, b.Provisioned)},
		{"triggers", reflect.DeepEqual(triggersNoLines(a.Triggers), triggersNoLines(b.Triggers))},
		{"async", sameAsync(a.Async, b.Async)},
	}
	var out []string
	for _, c := range checks {
		if !c.same {
			out = append(out, c.key)
		}
	}
	return out
}

func aliasesNoLines(as []Alias) []Alias {
	out := make([]Alias, len(as))
	for i, a := range as {
		a.Line = 0
		out[i] = a
	}
	return out
}

func triggersNoLines(ts []Trigger) []Trigger {
	out := make([]Trigger, len(ts))
	for i, t := range ts {
		t.Line = 0
		out[i] = t
	}
	return out
}

func sameAsync(a, b *Async) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	return x == y
}

// sameService compares stages and APIs, ignoring line numbers; an empty
// per-API stages map equals a missing one.
func sameService(a, b Service) bool {
	if !maps.Equal(a.Stages, b.Stages) || len(a.APIs) != len(b.APIs) {
		return false
	}
	for i := range a.APIs {
		x, y := a.APIs[i], b.APIs[i]
		if x.Path != y.Path || x.Method != y.Method || x.Function != y.Function || x.PassThrough != y.PassThrough || !maps.Equal(x.Stages, y.Stages) {
			return false
		}
	}
	return true
}

// layerList is a function's layers as one comparable string.
func layerList(rs []LayerRef) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String() + ",")
	}
	return b.String()
}
