package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scf-emulator/emulator/platform"
)

// decoder walks the YAML node tree and collects problems instead of
// stopping at the first, so one run of the emulator reports them all.
type decoder struct {
	file     string // path as given, the prefix of every message
	dir      string // absolute folder of the config file
	problems []*Problem
	warnings []*Problem // read but not run (layers before the layer runtime, serverless.yml cloud keys)
	// fileOf, when set, names the file a node came from: a serverless.yml
	// folder is decoded as one tree built from several files.
	fileOf func(*yaml.Node) string
	fnFile map[string]string // function name -> the serverless.yml that declares it
}

// pair is one key/value entry of a mapping with the dotted path of the value.
type pair struct {
	name     string
	key, val *yaml.Node
	path     string
}

func (d *decoder) add(line, col int, key, msg string) {
	d.problems = append(d.problems, &Problem{File: d.file, Line: line, Column: col, Key: key, Msg: msg})
}

// at records a problem at node n for key path.
func (d *decoder) at(n *yaml.Node, path, format string, args ...any) {
	var line, col int
	if n != nil {
		line, col = n.Line, n.Column
	}
	d.add(line, col, path, fmt.Sprintf(format, args...))
	if d.fileOf != nil && n != nil {
		if f := d.fileOf(n); f != "" {
			d.problems[len(d.problems)-1].File = f
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "nothing"
	}
	return strconv.Quote(n.Value)
}

// pairs returns a mapping's entries in file order. Merge keys (<<: *base)
// are expanded with explicit keys winning; a duplicate explicit key is a
// problem, as yaml.v3 would report when decoding into a map.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.at(n, path, "expected a mapping, got %s", describe(n))
		return nil
	}
	var merged, explicit []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.at(k, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.at(k, join(path, k.Value), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		explicit = append(explicit, pair{name: k.Value, key: k, val: v, path: join(path, k.Value)})
	}
	out := make([]pair, 0, len(merged)+len(explicit))
	for _, p := range merged {
		if _, overridden := seen[p.name]; !overridden {
			seen[p.name] = p.key
			out = append(out, p)
		}
	}
	return append(out, explicit...)
}

// merge expands the value of a << key: a mapping or a list of mappings.
func (d *decoder) merge(v *yaml.Node, path string) []pair {
	v = resolve(v)
	if v.Kind == yaml.SequenceNode {
		var out []pair
		for _, item := range v.Content {
			out = append(out, d.merge(item, path)...)
		}
		return out
	}
	return d.pairs(v, path)
}

// fields returns a mapping's entries by key and reports keys outside known.
// It returns nil when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, path string, known ...string) map[string]pair {
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		d.at(n, path, "expected a mapping, got %s", describe(n))
		return nil
	}
	out := map[string]pair{}
	for _, p := range d.pairs(r, path) {
		if !contains(known, p.name) {
			d.at(p.key, p.path, "%s", unknownKey(p.name, known))
			continue
		}
		out[p.name] = p
	}
	return out
}

func unknownKey(name string, known []string) string {
	list := strings.Join(known, ", ")
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return fmt.Sprintf("unknown key, did you mean %s? (known: %s)", k, list)
		}
	}
	return fmt.Sprintf("unknown key (known: %s)", list)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// str reads a scalar as text. Numbers and booleans keep their literal text
// and null is "", which suits names, commands and environment values.
func (d *decoder) str(p pair) (string, bool) {
	v := resolve(p.val)
	if isNull(v) {
		return "", true
	}
	if v.Kind != yaml.ScalarNode {
		d.at(p.val, p.path, "expected a string, got %s", describe(v))
		return "", false
	}
	return v.Value, true
}

// integer reads a YAML integer; strings and fractions are problems.
func (d *decoder) integer(p pair) (int, bool) {
	v := resolve(p.val)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		d.at(p.val, p.path, "expected an integer, got %s", describe(v))
		return 0, false
	}
	var i int
	if err := v.Decode(&i); err != nil {
		d.at(p.val, p.path, "%s is not a usable integer", v.Value)
		return 0, false
	}
	return i, true
}

// number reads a YAML integer or float.
func (d *decoder) number(p pair) (float64, bool) {
	v := resolve(p.val)
	if v == nil || v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
		d.at(p.val, p.path, "expected a number, got %s", describe(v))
		return 0, false
	}
	var f float64
	if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.at(p.val, p.path, "%s is not a usable number", v.Value)
		return 0, false
	}
	return f, true
}

// version reads a version: "$LATEST" or a positive integer, which YAML may
// give as an int or a string.
func (d *decoder) version(p pair, n *yaml.Node) (string, bool) {
	v := resolve(n)
	if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
		d.at(n, p.path, "expected a version ($LATEST or a number), got %s", describe(v))
		return "", false
	}
	s := v.Value
	if v.ShortTag() == "!!int" {
		var i int
		if err := v.Decode(&i); err == nil {
			s = strconv.Itoa(i)
		}
	}
	if s != Latest && !platform.IsVersion(s) {
		d.at(n, p.path, "%q is not a version ($LATEST or a positive number)", v.Value)
		return "", false
	}
	return s, true
}

// qualifier reads what a stage routes to: $DEFAULT, $LATEST, an alias name
// or a version number.
func (d *decoder) qualifier(p pair) (string, bool) {
	v := resolve(p.val)
	if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
		d.at(p.val, p.path, "expected a qualifier ($DEFAULT, $LATEST, an alias or a version), got %s", describe(v))
		return "", false
	}
	s := v.Value
	if v.ShortTag() == "!!int" {
		var i int
		if err := v.Decode(&i); err == nil {
			s = strconv.Itoa(i)
		}
	}
	if platform.Qualifier(s) != platform.QualifierInvalid {
		return s, true
	}
	d.at(p.val, p.path, "%q is not $DEFAULT, $LATEST, an alias name or a version number", v.Value)
	return "", false
}

// items returns a list's elements; null is an empty list.
func (d *decoder) items(p pair) []*yaml.Node {
	v := resolve(p.val)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		d.at(p.val, p.path, "expected a list, got %s", describe(v))
		return nil
	}
	return v.Content
}
