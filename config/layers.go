package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Layer is a layer of emulator.yaml: a folder whose content functions see
// after their own code (at /opt on Docker). `emulator up` publishes it as a
// new version when it changed; edits reload the $LATEST functions using it.
type Layer struct {
	Name        string
	Line        int
	Source      string   // absolute; an existing folder
	Runtimes    []string // compatible runtimes, informative
	Description string
}

// LayerRef is one entry of a function's layers: "name" (the newest
// version, or the layer's folder for $LATEST) or "name:N".
type LayerRef struct {
	Name    string
	Version int // 0: newest
}

var layerKeys = []string{"source", "runtimes", "description"}

// The platform's layer and namespace name rules (registry checks them too).
var (
	layerNameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	namespaceNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,29}$`)
)

// layers decodes the top-level layers mapping.
func (d *decoder) layers(p pair) []Layer {
	var out []Layer
	if isNull(p.val) {
		return nil
	}
	for _, lp := range d.pairs(p.val, p.path) {
		l := Layer{Name: lp.name, Line: lp.key.Line}
		if !layerNameRE.MatchString(lp.name) {
			d.at(lp.key, lp.path, "layer name %q must be 1 to 64 letters, digits, '-' or '_', starting with a letter", lp.name)
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
				if s, ok := d.str(pair{val: n, path: fmt.Sprintf("%s[%d]", rp.path, i)}); ok {
					d.checkRuntime(pair{val: n, path: fmt.Sprintf("%s[%d]", rp.path, i)}, s)
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

// layerRefs decodes a function's layers list.
func (d *decoder) layerRefs(p pair) []LayerRef {
	var out []LayerRef
	seen := map[string]bool{}
	for i, n := range d.items(p) {
		ip := pair{val: n, path: fmt.Sprintf("%s[%d]", p.path, i)}
		s, ok := d.str(ip)
		if !ok {
			continue
		}
		ref := LayerRef{Name: s}
		if name, v, found := strings.Cut(s, ":"); found {
			num, err := strconv.Atoi(v)
			if err != nil || num <= 0 {
				d.at(n, ip.path, "%q: the version after ':' must be a positive number", s)
				continue
			}
			ref = LayerRef{Name: name, Version: num}
		}
		if !layerNameRE.MatchString(ref.Name) {
			d.at(n, ip.path, "%q is not a layer name (name or name:version)", s)
			continue
		}
		if seen[ref.Name] {
			d.at(n, ip.path, "layer %s is listed twice", ref.Name)
			continue
		}
		seen[ref.Name] = true
		out = append(out, ref)
	}
	return out
}

// namespace validates a function's namespace.
func (d *decoder) namespace(p pair) string {
	s, ok := d.str(p)
	if !ok || s == "" {
		return ""
	}
	if !namespaceNameRE.MatchString(s) {
		d.at(p.val, p.path, "namespace %q must be 1 to 30 letters, digits, '-' or '_', starting with a letter", s)
	}
	return s
}
