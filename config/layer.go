package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/platform"
)

// Layer declares a layer (DESIGN "Layers"): a folder whose contents
// functions see after their own code (at /opt on Docker). `emulator up`
// publishes it as a new version when it changed.
type Layer struct {
	Name        string
	Line        int
	Source      string   // absolute; an existing folder
	Runtimes    []string // compatible runtimes; empty means any
	Description string
}

// LayerRef is one entry of a function's layers: a layer and its version,
// 0 for the newest at publish time ("common" rather than "common:2").
type LayerRef struct {
	Name    string
	Version int
	Line    int
}

// String is the entry as emulator.yaml writes it.
func (r LayerRef) String() string {
	if r.Version == 0 {
		return r.Name
	}
	return r.Name + ":" + strconv.Itoa(r.Version)
}

// MaxFunctionLayers is the platform's limit of layers bound to a function.
const MaxFunctionLayers = 5

var (
	layerKeys   = []string{"source", "runtimes", "description"}
	layerNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
)

func (d *decoder) layers(p pair) []Layer {
	if isNull(p.val) {
		return nil
	}
	var out []Layer
	for _, lp := range d.pairs(p.val, p.path) {
		l := Layer{Name: lp.name, Line: lp.key.Line}
		if !layerNameRE.MatchString(lp.name) || strings.HasSuffix(lp.name, "-") || strings.HasSuffix(lp.name, "_") {
			d.at(lp.key, lp.path, "%q is not a valid layer name (1-64 letters, digits, - or _, starting with a letter and not ending with - or _)", lp.name)
		}
		f := d.fields(lp.val, lp.path, layerKeys...)
		if f == nil {
			out = append(out, l)
			continue
		}
		if sp, ok := f["source"]; ok {
			if s, ok := d.str(sp); ok {
				l.Source = d.source(sp, s)
			}
		} else {
			d.at(lp.key, lp.path, "source is required (the layer's folder)")
		}
		if rp, ok := f["runtimes"]; ok {
			for i, n := range d.items(rp) {
				ip := pair{name: rp.name, key: rp.key, val: n, path: fmt.Sprintf("%s[%d]", rp.path, i)}
				if s, ok := d.str(ip); ok {
					d.checkRuntime(ip, s)
					l.Runtimes = append(l.Runtimes, s)
				}
			}
		}
		if dp, ok := f["description"]; ok {
			l.Description, _ = d.str(dp)
		}
		out = append(out, l)
	}
	return out
}

// layerRefs reads a function's layers: names, "name:version", or
// {name, version} mappings (the form serverless.yml uses).
func (d *decoder) layerRefs(p pair) []LayerRef {
	var out []LayerRef
	for i, n := range d.items(p) {
		ip := pair{name: p.name, key: p.key, val: n, path: fmt.Sprintf("%s[%d]", p.path, i)}
		s, ok := d.str(ip)
		if !ok {
			continue
		}
		ref := LayerRef{Name: s, Line: n.Line}
		if name, v, has := strings.Cut(s, ":"); has {
			ver, err := strconv.Atoi(v)
			if err != nil || ver < 1 {
				d.at(n, ip.path, "%q: the version after : must be a positive number, as in common:2", s)
				continue
			}
			ref.Name, ref.Version = name, ver
		}
		out = append(out, ref)
	}
	return out
}

// checkLayerRefs checks that functions list declared layers, each once and
// at most MaxFunctionLayers.
func (d *decoder) checkLayerRefs(f *File) {
	declared := map[string]Layer{}
	for _, l := range f.Layers {
		declared[l.Name] = l
	}
	for _, fn := range f.Functions {
		if len(fn.Layers) == 0 {
			continue
		}
		path := "functions." + fn.Name + ".layers"
		at := func(line int, format string, args ...any) {
			d.add(line, 0, path, fmt.Sprintf(format, args...))
			if file := d.fnFile[fn.Name]; file != "" {
				d.problems[len(d.problems)-1].File = file
			}
		}
		if len(fn.Layers) > MaxFunctionLayers {
			at(fn.Layers[0].Line, "%d layers, more than the %d a function may bind", len(fn.Layers), MaxFunctionLayers)
		}
		seen := map[string]bool{}
		var names []string
		for _, r := range fn.Layers {
			l, ok := declared[r.Name]
			switch {
			case !ok:
				at(r.Line, "layer %q is not declared in layers (declared: %s)", r.Name, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
				continue
			case seen[r.Name]:
				at(r.Line, "layer %q is listed twice", r.Name)
				continue
			case len(l.Runtimes) > 0 && platform.IsRuntime(fn.Runtime) && !slices.Contains(l.Runtimes, fn.Runtime):
				at(r.Line, "layer %q is for %s, not %s", r.Name, strings.Join(l.Runtimes, ", "), fn.Runtime)
			}
			seen[r.Name] = true
			names = append(names, r.String())
		}
		_ = names

	}
}
