package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// templates are the sample functions `emulator init` writes, one folder per
// runtime family and type. Go files carry a .tmpl suffix so the Go tool does
// not build them as part of this module.
//
//go:embed templates
var templates embed.FS

// initRuntime is one runtime `emulator init` can scaffold.
type initRuntime struct {
	name    string // SCF runtime name
	family  string // template folder prefix
	handler string // event functions; "" for none
	build   string // build command; "" for none
	needs   string // the tool the sample needs on this machine, for the next-steps text
}

var initRuntimes = []initRuntime{
	{name: "Python3.9", family: "python", handler: "index.main_handler", needs: "python3"},
	{name: "Nodejs18.15", family: "node", handler: "index.main_handler", needs: "node"},
	{name: "Go1", family: "go", handler: "main", build: "CGO_ENABLED=0 go build -o main .", needs: "go"},
	{name: "CustomRuntime", family: "custom", needs: "bash and curl (event) or python3 (http)"},
}

// initProject is what `emulator init` writes.
type initProject struct {
	dir, function string
	rt            initRuntime
	kind          string // config.TypeEvent or config.TypeHTTP
}

func cmdInit(_ context.Context, args []string, stdout, _ io.Writer) error {
	fset := flag.NewFlagSet("init", flag.ContinueOnError)
	runtimeName := fset.String("runtime", "Python3.9", "Python3.9, Nodejs18.15, Go1 or CustomRuntime")
	kind := fset.String("type", "event", "event (a handler gets events) or http (a web function serving HTTP)")
	name := fset.String("name", "hello", "function name; also the sample's folder")
	pos, err := parse(fset, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("init", pos, 0, 1, "[DIR] [--runtime Python3.9|Nodejs18.15|Go1|CustomRuntime] [--type event|http]"); err != nil {
		return usageError{err}
	}
	p := initProject{dir: ".", function: *name, kind: strings.ToLower(*kind)}
	if len(pos) == 1 {
		p.dir = pos[0]
	}
	ok := false
	for _, r := range initRuntimes {
		if strings.EqualFold(r.name, *runtimeName) {
			p.rt, ok = r, true
		}
	}
	if !ok {
		return usageError{fmt.Errorf("--runtime %q: want Python3.9, Nodejs18.15, Go1 or CustomRuntime", *runtimeName)}
	}
	if p.kind != "event" && p.kind != "http" {
		return usageError{fmt.Errorf("--type %q: want event or http", *kind)}
	}
	if !functionNameOK(p.function) {
		return usageError{fmt.Errorf("--name %q: want a letter, then letters, digits, - or _ (at most 60)", p.function)}
	}
	written, err := p.write()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a %s %s function %s in %s:\n", p.rt.name, p.kind, p.function, p.dir)
	for _, f := range written {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	fmt.Fprintf(stdout, "\nNext (needs %s on PATH, or Docker):\n", p.rt.needs)
	if p.dir != "." {
		fmt.Fprintf(stdout, "  cd %s\n", shellQuote(p.dir))
	}
	fmt.Fprintf(stdout, "  emulator up\n")
	fmt.Fprintf(stdout, "and in another terminal:\n  curl http://127.0.0.1:8080/release/%s\n", p.function)
	if p.kind == "event" {
		fmt.Fprintf(stdout, "  emulator invoke %s --event '{\"path\":\"/%s\"}'\n", p.function, p.function)
	}
	fmt.Fprintf(stdout, "  emulator publish %s\n", p.function)
	return nil
}

// files lists what the project holds: path relative to dir -> contents and mode.
func (p initProject) files() (map[string]initFile, error) {
	root := path.Join("templates", p.rt.family+"-"+p.kind)
	out := map[string]initFile{"emulator.yaml": {data: []byte(p.config()), mode: 0o644}}
	err := fs.WalkDir(templates, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := templates.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(name, root+"/"), ".tmpl")
		mode := fs.FileMode(0o644)
		if base := path.Base(rel); base == "bootstrap" || base == "scf_bootstrap" {
			mode = 0o755 // the runtime executes these
		}
		out[path.Join(p.function, rel)] = initFile{data: data, mode: mode}
		return nil
	})
	return out, err
}

type initFile struct {
	data []byte
	mode fs.FileMode
}

// config is the project's emulator.yaml.
func (p initProject) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `emulator init`: one function behind one API. `emulator up` serves it;\n")
	fmt.Fprintf(&b, "# every key is described in the emulator's README (\"Config reference\").\n")
	fmt.Fprintf(&b, "functions:\n  %s:\n    source: ./%s          # $LATEST: watched, every save reloads it\n", p.function, p.function)
	fmt.Fprintf(&b, "    runtime: %s\n    type: %s\n", p.rt.name, p.kind)
	if p.kind == "event" && p.rt.handler != "" {
		fmt.Fprintf(&b, "    handler: %s\n", p.rt.handler)
	}
	if p.rt.build != "" {
		fmt.Fprintf(&b, "    build: %s   # run in source before each snapshot\n", p.rt.build)
	}
	fmt.Fprintf(&b, "    memorySize: 128\n    timeout: 3\n")
	fmt.Fprintf(&b, "services:\n  api:\n    stages: {release: $DEFAULT}   # stage -> alias or version\n")
	fmt.Fprintf(&b, "    apis:\n      - {path: /%s, method: ANY, function: %s}\n", p.function, p.function)
	return b.String()
}

// write creates every file, refusing (before writing anything) when one
// exists. The state dir goes into .gitignore, appended to an existing one.
func (p initProject) write() ([]string, error) {
	files, err := p.files()
	if err != nil {
		return nil, err
	}
	var exist []string
	for rel := range files {
		if _, err := os.Lstat(filepath.Join(p.dir, rel)); err == nil {
			exist = append(exist, filepath.Join(p.dir, rel))
		}
	}
	if len(exist) > 0 {
		slices.Sort(exist)
		return nil, fmt.Errorf("init: not overwriting %s; remove them or pick another folder (emulator init DIR)", strings.Join(exist, ", "))
	}
	var written []string
	for rel, f := range files {
		full := filepath.Join(p.dir, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		out, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		_, werr := out.Write(f.data)
		if err := errors.Join(werr, out.Close()); err != nil {
			return nil, fmt.Errorf("init: write %s: %w", full, err)
		}
		written = append(written, rel)
	}
	ignored, err := ignoreStateDir(filepath.Join(p.dir, ".gitignore"))
	if err != nil {
		return nil, err
	}
	if ignored {
		written = append(written, ".gitignore")
	}
	slices.Sort(written)
	return written, nil
}

// ignoreStateDir makes .gitignore list the state dir; it reports whether it
// changed the file.
func ignoreStateDir(file string) (bool, error) {
	const line = ".emulator/"
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	for _, l := range strings.Split(string(old), "\n") {
		if l = strings.TrimSpace(l); l == line || l == ".emulator" || l == "/.emulator" || l == "/.emulator/" {
			return false, nil
		}
	}
	add := "# emulator state: versions, aliases, logs (emulator up --state-dir)\n" + line + "\n"
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		add = "\n" + add
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return false, err
	}
	_, werr := f.WriteString(add)
	return true, errors.Join(werr, f.Close())
}

func functionNameOK(s string) bool {
	if s == "" || len(s) > 60 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// shellQuote quotes s for the printed command when it needs it.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " \t'\"$\\;&|<>()*?`!#") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
