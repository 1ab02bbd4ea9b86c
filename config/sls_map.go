package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// slsMapper turns the component instances of a project into an
// emulator.yaml tree whose nodes keep their serverless.yml positions, so the
// emulator.yaml decoder validates it and names serverless.yml lines.
type slsMapper struct {
	base     string // folder relative sources are written against; "" for absolute
	files    []*slsFile
	problems []*Problem
	warnings []*Problem
	fileOf   map[*yaml.Node]string // built node -> the serverless.yml it came from
	fnFile   map[string]string     // function name -> its serverless.yml
	// outputVersion marks values that were ${output:...version} of a layer:
	// the layer's newest version, which a local layer does not number.
	outputVersion map[*yaml.Node]bool

	layers, functions *yaml.Node
	services          map[string]*slsService
	serviceOrder      []string
}

type slsService struct {
	key    *yaml.Node
	stages map[string]bool
	order  []string
	apis   []*yaml.Node
}

func (m *slsMapper) warn(file string, n *yaml.Node, key, msg string) {
	p := &Problem{File: file, Key: key, Msg: msg}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	m.warnings = append(m.warnings, p)
}

func (m *slsMapper) fail(file string, n *yaml.Node, key, format string, args ...any) {
	p := &Problem{File: file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	m.problems = append(m.problems, p)
}

// resolveAll replaces ${...} references in every input scalar.
func (m *slsMapper) resolveAll() {
	for _, sf := range m.files {
		m.resolveNode(sf, sf.inputs)
	}
}

func (m *slsMapper) resolveNode(sf *slsFile, n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		raw := n.Value
		out, err := m.substitute(sf, raw)
		if err != nil {
			m.fail(sf.path, n, "inputs", "%s", err)
			return
		}
		n.Value = out
		if strings.HasPrefix(raw, "${output:") && strings.HasSuffix(raw, ".version}") {
			m.outputVersion[n] = true
		}
		if n.Tag == "" || n.Tag == "!!null" {
			n.Tag = "!!str"
		}
		return
	}
	for _, c := range n.Content {
		m.resolveNode(sf, c)
	}
}

// substitute resolves innermost references first, so that
// ${output:${stage}:${app}:layer.name} works.
func (m *slsMapper) substitute(sf *slsFile, s string) (string, error) {
	for range 20 { // nesting depth bound
		loc := varRE.FindStringSubmatchIndex(s)
		if loc == nil {
			return s, nil
		}
		ref := s[loc[2]:loc[3]]
		v, err := m.lookup(sf, ref)
		if err != nil {
			return "", err
		}
		s = s[:loc[0]] + v + s[loc[1]:]
	}
	return "", fmt.Errorf("%q: references nested too deeply", s)
}

func (m *slsMapper) lookup(sf *slsFile, ref string) (string, error) {
	switch {
	case ref == "app":
		return sf.app, nil
	case ref == "stage":
		return sf.stage, nil
	case ref == "name":
		return sf.name, nil
	case strings.HasPrefix(ref, "env:"):
		v, ok := os.LookupEnv(ref[4:])
		if !ok {
			return "", fmt.Errorf("${%s}: environment variable %s is not set", ref, ref[4:])
		}
		return v, nil
	case strings.HasPrefix(ref, "output:"):
		return m.output(ref)
	}
	return "", fmt.Errorf("${%s} cannot be resolved locally (known: ${app}, ${stage}, ${name}, ${env:NAME}, ${output:stage:app:name.field})", ref)
}

// output resolves ${output:stage:app:name.field} from another component of
// the project: a layer's name or version, a function's name.
func (m *slsMapper) output(ref string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(ref, "output:"), ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("${%s}: want ${output:stage:app:name.field}", ref)
	}
	name, field, ok := strings.Cut(parts[2], ".")
	if !ok {
		return "", fmt.Errorf("${%s}: want ${output:stage:app:name.field}", ref)
	}
	for _, o := range m.files {
		if o.stage != parts[0] || o.app != parts[1] || o.name != name {
			continue
		}
		switch {
		case o.component == "layer" && field == "name", o.component == "scf" && (field == "functionName" || field == "name"):
			return instanceName(o), nil
		case o.component == "layer" && field == "version":
			return "", nil // the newest version: local layers are not numbered
		}
		return "", fmt.Errorf("${%s}: output %s of a %s component cannot be resolved locally", ref, field, o.component)
	}
	return "", fmt.Errorf("${%s}: no component %s with stage %s and app %s in this project", ref, name, parts[0], parts[1])
}

// instanceName is the function or layer name a component deploys:
// inputs.name, else the framework's ${name}-${stage}-${app}.
func instanceName(sf *slsFile) string {
	if sf.inputs != nil && sf.inputs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(sf.inputs.Content); i += 2 {
			if sf.inputs.Content[i].Value == "name" {
				if v := sf.inputs.Content[i+1].Value; v != "" && !strings.Contains(v, "${") {
					return v
				}
			}
		}
	}
	return sf.name + "-" + sf.stage + "-" + sf.app
}

// build makes the emulator.yaml tree: layers, functions, services.
func (m *slsMapper) build() *yaml.Node {
	m.layers, m.functions = &yaml.Node{Kind: yaml.MappingNode}, &yaml.Node{Kind: yaml.MappingNode}
	m.services = map[string]*slsService{}
	for _, sf := range m.files {
		switch sf.component {
		case "scf":
			m.function(sf)
		case "layer":
			m.layer(sf)
		default:
			m.warn(sf.path, sf.componentNode, "component", fmt.Sprintf("component %s is not emulated (scf and layer are); ignored", sf.component))
		}
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if len(m.layers.Content) > 0 {
		root.Content = append(root.Content, str("layers", nil), m.layers)
	}
	root.Content = append(root.Content, str("functions", nil), m.functions)
	if len(m.serviceOrder) > 0 {
		svcs := &yaml.Node{Kind: yaml.MappingNode}
		for _, name := range m.serviceOrder {
			s := m.services[name]
			stages := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			for _, st := range s.order {
				stages.Content = append(stages.Content, str(st, nil), str(Default, nil))
			}
			body := mapping(s.key, "stages", stages, "apis", &yaml.Node{Kind: yaml.SequenceNode, Content: s.apis, Line: s.key.Line})
			svcs.Content = append(svcs.Content, s.key, body)
		}
		root.Content = append(root.Content, str("services", nil), svcs)
	}
	return root
}

// str is a string scalar placed at node at (nil: no position).
func str(v string, at *yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if at != nil {
		n.Line, n.Column = at.Line, at.Column
	}
	return n
}

// mapping builds a mapping at node at from key, value pairs; a string value
// becomes a scalar.
func mapping(at *yaml.Node, kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if at != nil {
		n.Line, n.Column = at.Line, at.Column
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(*yaml.Node)
		if !ok {
			v = str(kv[i+1].(string), at)
		}
		n.Content = append(n.Content, str(kv[i].(string), at), v)
	}
	return n
}

// track records the file of every node of a built subtree.
func (m *slsMapper) track(file string, n *yaml.Node) {
	if n == nil {
		return
	}
	m.fileOf[n] = file
	for _, c := range n.Content {
		m.track(file, c)
	}
}

// srcFolder reads src: a folder, or {src, exclude}; a bucket is cloud-only.
func (m *slsMapper) srcFolder(sf *slsFile, p pair) *yaml.Node {
	v := resolve(p.val)
	if v.Kind == yaml.MappingNode {
		var src *yaml.Node
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			switch k.Value {
			case "src":
				src = v.Content[i+1]
			case "exclude":
				m.warn(sf.path, k, "inputs.src.exclude", "ignored: the emulator runs the whole folder")
			case "bucket", "object":
				m.fail(sf.path, k, "inputs.src."+k.Value, "code in a COS bucket cannot run locally; give src a folder")
				return nil
			default:
				m.warn(sf.path, k, "inputs.src."+k.Value, "unknown key, ignored")
			}
		}
		if src == nil {
			m.fail(sf.path, p.key, "inputs.src", "src.src is required (the code folder)")
			return nil
		}
		v = src
	}
	if v.Kind != yaml.ScalarNode {
		m.fail(sf.path, p.val, "inputs.src", "expected a folder or {src, exclude}, got %s", describe(v))
		return nil
	}
	dir := v.Value
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(sf.dir, dir)
	}
	dir = filepath.Clean(dir)
	if m.base != "" {
		if r, err := filepath.Rel(m.base, dir); err == nil {
			dir = r
			if !strings.HasPrefix(dir, ".") {
				dir = "./" + dir
			}
		}
	}
	return str(dir, v)
}
