package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var functionKeys = []string{
	"source", "runtime", "type", "handler", "memorySize", "timeout",
	"environment", "build", "image", "description", "aliases",
}

// Runtimes named exactly; Node.js versions are checked by nodeRuntimeRE.
var fixedRuntimes = []string{
	"Python3.6", "Python3.7", "Python3.9", "Python3.10", "Python3.11", "Python3.12",
	"Go1", "CustomRuntime",
}

var (
	nodeRuntimeRE = regexp.MustCompile(`^Nodejs([0-9]+)\.([0-9]+)$`)
	// handlerRE is file.function: the file part may hold folders, the
	// function part is an identifier in Python and JavaScript.
	handlerRE = regexp.MustCompile(`^[^\s.][^\s]*\.[A-Za-z_$][A-Za-z0-9_$]*$`)
	envKeyRE  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)
)

const (
	minNodeMajor = 10
	maxNodeMajor = 22
)

var reservedEnvPrefixes = []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"}

func supportedRuntimes() string {
	return "Python3.6, Python3.7, Python3.9, Python3.10, Python3.11, Python3.12, " +
		fmt.Sprintf("Nodejs<major>.<minor> for majors %d-%d (e.g. Nodejs12.16, Nodejs14.18, Nodejs16.13, Nodejs18.15), ", minNodeMajor, maxNodeMajor) +
		"Go1, CustomRuntime"
}

// validRuntime reports whether name is a runtime the emulator can run.
func validRuntime(name string) bool {
	if contains(fixedRuntimes, name) {
		return true
	}
	m := nodeRuntimeRE.FindStringSubmatch(name)
	if m == nil {
		return false
	}
	major, err := strconv.Atoi(m[1])
	return err == nil && major >= minNodeMajor && major <= maxNodeMajor
}

// needsHandler reports whether an event function in this runtime names its
// entry point as file.function.
func needsHandler(runtime string) bool {
	return strings.HasPrefix(runtime, "Python") || strings.HasPrefix(runtime, "Nodejs")
}

// function decodes one entry of functions. The function is returned even
// when it has problems, so that services naming it do not also report it as
// undefined.
func (d *decoder) function(p pair) Function {
	fn := Function{
		Name: p.name, Line: p.key.Line, Type: TypeEvent,
		MemorySize: DefaultMemorySize, Timeout: DefaultTimeout,
	}
	if !functionNameRE.MatchString(p.name) {
		d.at(p.key, p.path, "%q is not a valid function name (1-60 letters, digits, _ or -, starting with a letter)", p.name)
	}
	f := d.fields(p.val, p.path, functionKeys...)
	if f == nil {
		return fn
	}

	if sp, ok := f["source"]; ok {
		if s, ok := d.str(sp); ok {
			fn.Source = d.source(sp, s)
		}
	} else {
		d.at(p.key, p.path, "source is required (the $LATEST code folder)")
	}

	if rp, ok := f["runtime"]; ok {
		if s, ok := d.str(rp); ok {
			fn.Runtime = s
			d.checkRuntime(rp, s)
		}
	} else {
		d.at(p.key, p.path, "runtime is required (one of %s)", supportedRuntimes())
	}

	if tp, ok := f["type"]; ok {
		if s, ok := d.str(tp); ok {
			switch s {
			case TypeEvent, TypeHTTP:
				fn.Type = s
			case "web":
				d.at(tp.val, tp.path, `"web" is not event or http (web functions are type http)`)
			default:
				d.at(tp.val, tp.path, "%q is not event or http", s)
			}
		}
	}

	hp, hasHandler := f["handler"]
	handlerOK := true
	if hasHandler {
		fn.Handler, handlerOK = d.str(hp)
	}
	if handlerOK {
		d.checkHandler(p, hp, &fn)
	}

	if mp, ok := f["memorySize"]; ok {
		if m, ok := d.integer(mp); ok {
			if m != 64 && (m < 128 || m > MaxMemorySize || m%128 != 0) {
				d.at(mp.val, mp.path, "%d is not 64 or a multiple of 128 up to %d", m, MaxMemorySize)
			}
			fn.MemorySize = m
		}
	}
	if tp, ok := f["timeout"]; ok {
		if t, ok := d.integer(tp); ok {
			if t < 1 || t > MaxTimeout {
				d.at(tp.val, tp.path, "%d is outside 1..%d seconds", t, MaxTimeout)
			}
			fn.Timeout = t
		}
	}
	if ep, ok := f["environment"]; ok {
		fn.Environment = d.environment(ep)
	}
	for _, k := range []struct {
		key string
		dst *string
	}{{"build", &fn.Build}, {"image", &fn.Image}, {"description", &fn.Description}} {
		if sp, ok := f[k.key]; ok {
			*k.dst, _ = d.str(sp)
		}
	}
	if ap, ok := f["aliases"]; ok {
		fn.Aliases = d.aliases(ap)
	}
	return fn
}

// source resolves the source folder against the config file's folder and
// checks that it is an existing folder.
func (d *decoder) source(p pair, s string) string {
	if s == "" {
		d.at(p.val, p.path, "must name the $LATEST code folder")
		return ""
	}
	abs := s
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.dir, abs)
	}
	abs = filepath.Clean(abs)
	fi, err := os.Stat(abs)
	switch {
	case os.IsNotExist(err):
		d.at(p.val, p.path, "folder %s (%s) does not exist", s, abs)
	case err != nil:
		d.at(p.val, p.path, "folder %s: %v", s, err)
	case !fi.IsDir():
		d.at(p.val, p.path, "%s (%s) is not a folder", s, abs)
	}
	return abs
}

func (d *decoder) checkRuntime(p pair, s string) {
	if validRuntime(s) {
		return
	}
	guess := ""
	for _, r := range fixedRuntimes {
		if strings.EqualFold(r, s) {
			guess = r
		}
	}
	if len(s) > 6 && strings.EqualFold(s[:6], "nodejs") && validRuntime("Nodejs"+s[6:]) {
		guess = "Nodejs" + s[6:]
	}
	if guess != "" {
		d.at(p.val, p.path, "unknown runtime %q, did you mean %s? (supported: %s)", s, guess, supportedRuntimes())
		return
	}
	d.at(p.val, p.path, "unknown runtime %q (supported: %s)", s, supportedRuntimes())
}

// checkHandler applies the handler rules, which depend on runtime and type;
// hp is the handler entry or the zero pair when absent.
func (d *decoder) checkHandler(fp, hp pair, fn *Function) {
	if fn.Runtime == "Go1" && fn.Handler == "" {
		fn.Handler = "main"
	}
	if fn.Type != TypeEvent || !validRuntime(fn.Runtime) || !needsHandler(fn.Runtime) {
		return
	}
	if hp.val == nil || fn.Handler == "" {
		at := fp.key
		if hp.val != nil {
			at = hp.val
		}
		d.at(at, fp.path, "handler is required for %s event functions (e.g. index.main_handler)", fn.Runtime)
		return
	}
	if !handlerRE.MatchString(fn.Handler) {
		d.at(hp.val, hp.path, "%q is not of the form file.function (e.g. index.main_handler)", fn.Handler)
	}
}

func (d *decoder) environment(p pair) map[string]string {
	f := d.fields(p.val, p.path, "variables")
	vp, ok := f["variables"]
	if !ok || isNull(vp.val) {
		return nil
	}
	pairs := d.pairs(vp.val, vp.path)
	env := make(map[string]string, len(pairs))
	size := 0
	for _, e := range pairs {
		switch {
		case !envKeyRE.MatchString(e.name):
			d.at(e.key, e.path, "%q is not a valid variable name (letters, digits and _, starting with a letter)", e.name)
			continue
		case reservedPrefix(e.name) != "":
			d.at(e.key, e.path, "the %s prefix is reserved for the platform", reservedPrefix(e.name))
			continue
		}
		v, ok := d.str(e)
		if !ok {
			continue
		}
		env[e.name] = v
		size += len(e.name) + len(v)
	}
	if size > MaxEnvironment {
		d.at(vp.key, vp.path, "variables take %d bytes, more than the %d allowed", size, MaxEnvironment)
	}
	return env
}

func reservedPrefix(key string) string {
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(key, p) {
			return p
		}
	}
	return ""
}
