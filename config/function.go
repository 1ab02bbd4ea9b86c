package config

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/scf-emulator/emulator/platform"
)

var functionKeys = []string{
	"source", "runtime", "type", "handler", "memorySize", "timeout",
	"environment", "build", "image", "imageConfig", "description", "aliases", "namespace", "layers",
	"concurrency", "provisioned", "triggers", "async",
}

// function decodes one entry of functions. The function is returned even
// when it has problems, so that services naming it do not also report it as
// undefined.
func (d *decoder) function(p pair) Function {
	fn := Function{
		Name: p.name, Line: p.key.Line, Type: TypeEvent,
		MemorySize: DefaultMemorySize, Timeout: DefaultTimeout,
	}
	if err := platform.CheckFunctionName(p.name); err != nil {
		d.at(p.key, p.path, "%v", err)
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
		d.at(p.key, p.path, "runtime is required (one of %s)", platform.SupportedRuntimes())
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
			if !platform.IsMemorySize(int64(m)) {
				d.at(mp.val, mp.path, "%d is not %d or a multiple of %d up to %d", m, platform.MinMemorySize, platform.MemoryStep, MaxMemorySize)
			}
			fn.MemorySize = m
		}
	}
	if tp, ok := f["timeout"]; ok {
		if t, ok := d.integer(tp); ok {
			if !platform.IsTimeout(int64(t)) {
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
	if ip, ok := f["imageConfig"]; ok {
		fn.ImageConfig = d.imageConfig(ip)
		if fn.ImageConfig != nil && fn.Image != "" {
			d.at(ip.key, ip.path, "image and imageConfig exclude each other: imageConfig.imageUri is the image of an image function")
		}
	}
	if ap, ok := f["aliases"]; ok {
		fn.Aliases = d.aliases(ap)
	}
	if np, ok := f["namespace"]; ok {
		fn.Namespace = d.namespace(np)
	}
	if lp, ok := f["layers"]; ok {
		fn.Layers = d.layerRefs(lp)
	}
	if cp, ok := f["concurrency"]; ok {
		if n, ok := d.integer(cp); ok {
			switch {
			case n < 1 || n > MaxConcurrency:
				d.at(cp.val, cp.path, "%d is outside 1..%d requests per instance", n, MaxConcurrency)
			case fn.Type != TypeHTTP:
				d.at(cp.val, cp.path, "concurrency needs type http: an event function's instance takes one request at a time")
			default:
				fn.Concurrency = n
			}
		}
	}
	if pp, ok := f["provisioned"]; ok {
		fn.Provisioned = d.provisioned(pp)
	}
	if tp, ok := f["triggers"]; ok {
		fn.Triggers = d.triggers(tp)
	}
	if ap, ok := f["async"]; ok {
		if fn.Async = d.async(ap); fn.Async != nil && fn.Async.DeadLetter == fn.Name {
			dp := f["async"]
			d.at(dp.val, dp.path+".deadLetter", "%s is the function itself: a failed event would only fail again", fn.Name)
		}
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
	if platform.IsRuntime(s) {
		return
	}
	if msg := platform.RetiredRuntime(s); msg != "" {
		d.at(p.val, p.path, "%s", msg)
		return
	}
	guess := ""
	for _, r := range platform.Runtimes() {
		if strings.EqualFold(r, s) {
			guess = r
		}
	}
	if len(s) > 6 && strings.EqualFold(s[:6], "nodejs") && platform.IsRuntime("Nodejs"+s[6:]) {
		guess = "Nodejs" + s[6:]
	}
	if guess != "" {
		d.at(p.val, p.path, "unknown runtime %q, did you mean %s? (supported: %s)", s, guess, platform.SupportedRuntimes())
		return
	}
	d.at(p.val, p.path, "unknown runtime %q (supported: %s)", s, platform.SupportedRuntimes())
}

// checkHandler applies the handler rules, which depend on runtime and type;
// hp is the handler entry or the zero pair when absent.
func (d *decoder) checkHandler(fp, hp pair, fn *Function) {
	if fn.Runtime == "Go1" && fn.Handler == "" {
		fn.Handler = "main"
	}
	if fn.Type != TypeEvent || !platform.IsRuntime(fn.Runtime) || !platform.NeedsHandler(fn.Runtime) {
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
	if !platform.IsHandler(fn.Handler) {
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
		case !platform.IsEnvKey(e.name):
			d.at(e.key, e.path, "%q is not a valid variable name (letters, digits and _, starting with a letter)", e.name)
			continue
		case platform.ReservedEnvPrefix(e.name) != "":
			d.at(e.key, e.path, "the %s prefix is reserved for the platform", platform.ReservedEnvPrefix(e.name))
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

// imageConfig reads an image function's imageConfig: imageUri (required),
// command and args, the fields of the cloud API's Code.ImageConfig.
func (d *decoder) imageConfig(p pair) *ImageConfig {
	f := d.fields(p.val, p.path, "imageUri", "command", "args")
	if f == nil {
		return nil
	}
	ic := &ImageConfig{}
	for _, k := range []struct {
		key string
		dst *string
	}{{"imageUri", &ic.ImageURI}, {"command", &ic.Command}, {"args", &ic.Args}} {
		if sp, ok := f[k.key]; ok {
			*k.dst, _ = d.str(sp)
		}
	}
	if ic.ImageURI == "" {
		d.at(p.key, p.path, "imageConfig.imageUri is required: the image that is the function's code")
		return nil
	}
	return ic
}
