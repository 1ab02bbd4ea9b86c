package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Serverless Framework projects (DESIGN "Layers, namespaces, Serverless
// Framework projects"): serverless.yml files of Tencent's `scf` and `layer`
// components map onto the same File as emulator.yaml. A folder holds one
// project at its root or several one folder down (a multi-component app).

// serverlessNames are the file names the framework reads.
var serverlessNames = []string{"serverless.yml", "serverless.yaml"}

// IsServerless reports whether path names a Serverless Framework project:
// a serverless.yml or serverless.yaml file, or a folder.
func IsServerless(path string) bool {
	if slices.Contains(serverlessNames, filepath.Base(path)) {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// ServerlessFiles lists the serverless.yml files of folder dir: at its
// root and one folder down, sorted; none is an empty list.
func ServerlessFiles(dir string) ([]string, error) {
	var out []string
	for _, name := range serverlessNames {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			out = append(out, filepath.Join(dir, name))
			break
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read folder %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "node_modules" {
			continue
		}
		for _, name := range serverlessNames {
			p := filepath.Join(dir, e.Name(), name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// slsFile is one component instance read from a serverless.yml.
type slsFile struct {
	path                         string // as the problems name it
	dir                          string // absolute folder
	app, stage, name, component  string
	inputs                       *yaml.Node // nil when absent
	componentNode, inputsKeyNode *yaml.Node
}

// LoadServerless reads a serverless.yml file, or every one of a folder
// (ServerlessFiles), and maps them onto a File. Problems that stop the
// project from running are an error matching ErrInvalid; keys that are
// read but not run (cloud-only settings, events without a local
// counterpart) become File.Warnings.
func LoadServerless(path string) (*File, error) {
	f, _, err := loadServerless(path, "")
	return f, err
}

// ServerlessYAML returns the emulator.yaml equivalent of the project at
// path, with relative folders written against outDir and a comment naming
// what was ignored, and the warnings.
func ServerlessYAML(path, outDir string) ([]byte, []*Problem, error) {
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", outDir, err)
	}
	f, root, err := loadServerless(path, outDir)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# emulator.yaml written by `emulator import` from " + strings.Join(relAll(f.Sources, outDir), ", ") + "\n")
	if len(f.Warnings) > 0 {
		buf.WriteString("# Not carried over (cloud-only or not emulated yet):\n")
		for _, w := range f.Warnings {
			buf.WriteString("#   " + strings.ReplaceAll(w.Error(), "\n", " ") + "\n")
		}
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(plain(root)); err != nil {
		return nil, nil, fmt.Errorf("write emulator.yaml: %w", err)
	}
	return buf.Bytes(), f.Warnings, nil
}

func relAll(paths []string, dir string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = p
		if r, err := filepath.Rel(dir, p); err == nil {
			out[i] = r
		}
	}
	return out
}

// plain drops the source positions of a built tree, so that the encoder
// lays it out afresh.
func plain(n *yaml.Node) *yaml.Node {
	c := *n
	c.Line, c.Column = 0, 0
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = plain(k)
	}
	return &c
}

// loadServerless maps the project; base is the folder relative sources are
// written against ("" keeps them absolute).
func loadServerless(path, base string) (*File, *yaml.Node, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	var files []string
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("read config: %w", err)
	case fi.IsDir():
		if files, err = ServerlessFiles(abs); err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("%w: %s holds no serverless.yml at its root or one folder down", ErrInvalid, path)
		}
	default:
		files = []string{abs}
	}
	m := &slsMapper{base: base, fileOf: map[*yaml.Node]string{}, fnFile: map[string]string{}, outputVersion: map[*yaml.Node]bool{}}
	for _, p := range files {
		m.read(p, shown(path, abs, p))
	}
	if len(m.problems) == 0 {
		m.resolveAll()
	}
	var root *yaml.Node
	if len(m.problems) == 0 {
		root = m.build()
	}
	if len(m.problems) > 0 {
		return nil, nil, newInvalidError(m.problems)
	}
	d := &decoder{file: shown(path, abs, files[0]), dir: abs, fileOf: func(n *yaml.Node) string { return m.fileOf[n] }, fnFile: m.fnFile}
	if !fi.IsDir() {
		d.dir = filepath.Dir(abs)
	}
	if base != "" {
		d.dir = base
	}
	f := d.decodeRoot(root)
	if len(d.problems) > 0 {
		return nil, nil, newInvalidError(d.problems)
	}
	f.Path, f.Sources = abs, files
	f.Warnings = append(m.warnings, d.warnings...)
	return f, root, nil
}

// shown is file p as messages name it: relative to what the user gave.
func shown(given, givenAbs, p string) string {
	if p == givenAbs {
		return given
	}
	if r, err := filepath.Rel(givenAbs, p); err == nil {
		return filepath.Join(given, r)
	}
	return p
}

// read parses one serverless.yml into an instance.
func (m *slsMapper) read(abs, shown string) {
	data, err := os.ReadFile(abs)
	if err != nil {
		m.problems = append(m.problems, &Problem{File: shown, Msg: err.Error()})
		return
	}
	d := &decoder{file: shown}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntax(data, err)
		} else {
			d.add(0, 0, "", "empty serverless.yml: want component, name and inputs")
		}
		m.problems = append(m.problems, d.problems...)
		return
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	sf := &slsFile{path: shown, dir: filepath.Dir(abs)}
	for _, p := range d.pairs(root, "") {
		switch p.name {
		case "app", "stage", "name", "component":
			s, _ := d.str(p)
			*map[string]*string{"app": &sf.app, "stage": &sf.stage, "name": &sf.name, "component": &sf.component}[p.name] = s
			if p.name == "component" {
				sf.componentNode = p.val
			}
		case "inputs":
			sf.inputs, sf.inputsKeyNode = p.val, p.key
		case "org":
			// The Serverless Dashboard's organisation: nothing to run.
		default:
			m.warn(shown, p.key, p.path, "unknown key, ignored")
		}
	}
	m.problems = append(m.problems, d.problems...)
	if len(d.problems) > 0 {
		return
	}
	if sf.component == "" {
		m.problems = append(m.problems, &Problem{File: shown, Line: root.Line, Msg: "component is required (scf or layer)"})
		return
	}
	sf.component, _, _ = strings.Cut(sf.component, "@") // scf@0.5.0
	if sf.name == "" {
		m.problems = append(m.problems, &Problem{File: shown, Line: root.Line, Msg: "name is required (the component instance's name)"})
		return
	}
	if sf.stage == "" {
		sf.stage = "dev" // the framework's default
	}
	if sf.app == "" {
		sf.app = sf.name
	}
	m.files = append(m.files, sf)
}

// varRE matches the innermost ${...} of a value.
var varRE = regexp.MustCompile(`\$\{([^${}]*)\}`)
