package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scf-emulator/emulator/platform"
)

// File is a validated emulator.yaml.
type File struct {
	Path      string     // absolute path of the config file (a serverless.yml project: the file or folder loaded)
	Functions []Function // in file order
	Services  []Service  // in file order
	Layers    []Layer    // in file order
	// Warnings are things of the file that were read but are not run, such
	// as the cloud-only keys of a serverless.yml; `up` prints them.
	Warnings []*Problem
	// Sources are the files the config was read from: Path for
	// emulator.yaml, every serverless.yml of a Serverless Framework folder.
	Sources []string
}

// Function declares one function: its $LATEST source folder and the
// configuration that a published version freezes.
type Function struct {
	Name        string
	Line        int
	Source      string // absolute; an existing folder
	Runtime     string // SCF runtime name, e.g. Python3.9, Nodejs16.13, Go1, CustomRuntime
	Type        string // TypeEvent or TypeHTTP
	Handler     string // file.function for Python and Node.js event functions; Go1 defaults to "main"
	MemorySize  int    // MB
	Timeout     int    // seconds
	Environment map[string]string
	Build       string // shell command run in Source before each $LATEST snapshot; "" for none
	Image       string // docker image override; "" for the runtime's default
	// ImageConfig makes an image function: the image is the code (the
	// cloud API's Code.ImageConfig). nil for code functions.
	ImageConfig *ImageConfig
	Description string
	Aliases     []Alias    // in file order
	Namespace   string     // "" is the default namespace
	Layers      []LayerRef // in order
	Concurrency int        // requests one web-function instance serves at once, 1..100; 0 when unset (one)
	// Provisioned maps a published version to the instances kept warm for
	// it; state set through the cloud API wins over it, as for aliases.
	Provisioned map[string]int
	Triggers    []Trigger // in file order
	Async       *Async    // nil: the platform's defaults (or what the cloud API set)
}

// ImageConfig is an image function's image and start command, as in the
// cloud API's Code.ImageConfig (ImageUri, Command, Args).
type ImageConfig struct {
	ImageURI string // imageUri: the image, present locally or pulled
	Command  string // command: replaces the image's entrypoint; "" keeps it
	Args     string // args: the arguments (the image's command); "" keeps them
}

// Alias is an alias to create when the function has none of that name yet.
type Alias struct {
	Name        string
	Version     string // primary version: "$LATEST" (the default when omitted) or "1", "2", ...
	Weights     []Weight
	Rules       []Rule
	Sticky      string // header whose value pins a caller to one weighted version; "" for random picks
	Shadow      *Shadow
	Description string
	Line        int
}

// Shadow copies a share of an alias's requests to a candidate version; the
// copies' answers are discarded.
type Shadow struct {
	Version string
	Weight  float64 // (0, 1]
	// Diff compares each copy's answer with the primary's (see package diff).
	Diff bool
}

// Weight sends a fraction of an alias's traffic to an extra version.
type Weight struct {
	Version string
	Weight  float64 // 0..1
}

// Rule sends requests whose routing key matches to an extra version.
type Rule struct {
	Version    string
	Key        string // invoke.headers.<K>
	Method     string // exact or range
	Expression string // the value for exact; (a,b), [a,b], [a,b) or (a,b] for range
}

// Service is an API Gateway style service: stages bound to qualifiers and
// the APIs published in every stage.
type Service struct {
	Name   string
	Line   int
	Stages map[string]string // stage name -> qualifier ($DEFAULT, $LATEST, alias or version)
	APIs   []API             // in file order
}

// API binds a path and method to a function.
type API struct {
	Path     string // starts with "/"; may hold {name} parameters
	Method   string // upper case; ANY matches every method
	Function string
	Stages   map[string]string // per-API qualifier overrides for some of the service's stages
	// PassThrough is `integratedResponse: false`: the gateway returns an
	// event function's return value as the body with status 200.
	PassThrough bool
	Line        int
}

// Function types.
const (
	TypeEvent = "event"
	TypeHTTP  = "http"
)

// Reserved qualifiers.
const (
	Latest  = platform.Latest
	Default = platform.Default
)

// Limits from the platform (package platform).
const (
	MaxConcurrency    = 100 // requests per web-function instance (InstanceConcurrencyConfig.MaxConcurrency)
	DefaultMemorySize = platform.DefaultMemorySize
	DefaultTimeout    = platform.DefaultTimeout
	MaxMemorySize     = platform.MaxMemorySize
	MaxTimeout        = platform.MaxTimeout
	MaxEnvironment    = platform.MaxEnvironment // bytes: the sum of len(key)+len(value)
)

// API Gateway service and stage names as emulator.yaml takes them; the
// names of functions, aliases and versions are package platform's.
var (
	serviceNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,49}$`)
	stageNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// Load reads and validates the config file at path: emulator.yaml, or a
// Serverless Framework project (IsServerless, LoadServerless). A file that cannot be
// read gives the os error (wrapped); an invalid one gives an error matching
// ErrInvalid.
func Load(path string) (*File, error) {
	if IsServerless(path) {
		return LoadServerless(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse validates data as the contents of the config file at path ("" means
// emulator.yaml in the working folder). Relative source folders are resolved
// against the folder of path, and every problem message starts with path as
// given.
func Parse(path string, data []byte) (*File, error) {
	if path == "" {
		path = "emulator.yaml" // in the working folder
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve config path %s: %w", path, err)
	}
	d := &decoder{file: path, dir: filepath.Dir(abs)}
	f := d.document(data)
	if len(d.problems) > 0 {
		return nil, newInvalidError(d.problems)
	}
	f.Path = abs
	f.Sources = []string{abs}
	f.Warnings = d.warnings
	return f, nil
}

// syntaxLineRE extracts the line from yaml.v3's parser errors
// ("yaml: line 3: could not find expected ':'").
var syntaxLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) document(data []byte) *File {
	f := &File{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) { // an empty file is an empty emulator
			d.syntax(data, err)
		}
		return f
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.add(extra.Line, extra.Column, "", "only one YAML document is allowed")
	case !errors.Is(err, io.EOF):
		d.syntax(data, err)
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return d.decodeRoot(root)
}

// decodeRoot decodes the top-level mapping of a config; a serverless.yml
// project is decoded through it from the tree it was mapped onto.
func (d *decoder) decodeRoot(root *yaml.Node) *File {
	f := &File{}
	if isNull(root) {
		return f // only comments: an empty emulator
	}
	fields := d.fields(root, "", "functions", "services", "layers")
	if fields == nil {
		return f
	}
	if lp, ok := fields["layers"]; ok {
		f.Layers = d.layers(lp)
	}
	// No functions is valid: the emulator starts empty and functions come
	// through CreateFunction (SDK, tccli, Terraform).
	if fp, ok := fields["functions"]; ok {
		f.Functions = d.functions(fp)
	}
	d.checkLayerRefs(f)
	defined := make(map[string]bool, len(f.Functions))
	for _, fn := range f.Functions {
		defined[fn.Name] = true
	}
	if sp, ok := fields["services"]; ok {
		f.Services = d.services(sp, defined)
	}
	return f
}

// parserProblems are the messages of yaml.v3's parser stage (parserc.go),
// whose line it prints 0-based; scanner messages carry a 1-based line.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntax records a YAML parser error, keeping the line when yaml.v3 names one.
func (d *decoder) syntax(data []byte, err error) {
	if m := syntaxLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		if contains(parserProblems, m[2]) {
			// yaml.v3 reports parser (not scanner) errors with a 0-based line.
			line++
		}
		msg := "invalid YAML: " + m[2]
		if strings.Contains(m[2], "flow") || strings.Contains(m[2], "'}'") {
			if l := lineText(data, line); strings.Contains(l, "/{") {
				// Braces are flow syntax, so /users/{id} breaks {path: ...}.
				msg += ` (inside {...} quote paths with parameters, e.g. path: "/users/{id}")`
			}
		}
		d.add(line, 0, "", msg)
		return
	}
	d.add(0, 0, "", "invalid YAML: "+err.Error())
}

// lineText returns line n (1-based) of data, or "" when there is none.
func lineText(data []byte, n int) string {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

func (d *decoder) functions(p pair) []Function {
	var out []Function
	if isNull(p.val) {
		return nil // `functions:` with nothing under it, like `functions: {}`
	}
	for _, fp := range d.pairs(p.val, p.path) {
		out = append(out, d.function(fp))
	}
	return out
}
