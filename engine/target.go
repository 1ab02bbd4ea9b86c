package engine

import (
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// Target is one routed invocation: the function, the qualifier it was asked
// for, the registry's decision (which carries the version's code) and that
// version's configuration. It holds all a run needs, so a request reads the
// registry once.
type Target struct {
	Function  string
	Qualifier string // as asked; "" was resolved as $DEFAULT
	registry.Decision
	Config registry.FunctionConfig
}

// RouteShadow is the Route of a shadow copy's Target.
const RouteShadow registry.Route = "shadow"

// Spec is the runtime spec of the target's version.
func (t Target) Spec() runtime.Spec {
	c := t.Config
	ns, name := registry.SplitKey(t.Function)
	var image *runtime.ImageConfig
	if ic := c.ImageConfig; ic != nil {
		image = &runtime.ImageConfig{ImageURI: ic.ImageURI, Command: ic.Command, Args: ic.Args}
	}
	return runtime.Spec{
		Namespace:   ns,
		Function:    name,
		Version:     t.Version,
		CodeHash:    t.CodeHash,
		CodeDir:     t.CodeDir,
		Runtime:     c.Runtime,
		Type:        c.Type,
		Handler:     c.Handler,
		MemoryMB:    c.MemorySize,
		TimeoutSec:  c.Timeout,
		Env:         c.Environment,
		Image:       c.Image,
		Layers:      t.Layers.Dirs(),
		Concurrency: c.Concurrency,
		ImageConfig: image,
	}
}

// alias is the alias a target's record is filed under: the qualifier, unless
// the qualifier named a version.
func (t Target) alias() string {
	if t.Route == registry.RouteDirect {
		return ""
	}
	if t.Qualifier == "" {
		return registry.Default
	}
	return t.Qualifier
}

// Resolve routes a qualifier to a concrete version. Unknown functions and
// qualifiers come back as scferr 435 / 442 errors that wrap the registry's.
func (e *Engine) Resolve(function, qualifier string, keys registry.Keys) (Target, error) {
	d, cfg, err := e.reg.Resolve(function, qualifier, keys)
	if err != nil {
		return Target{}, classify(err)
	}
	return Target{Function: function, Qualifier: qualifier, Decision: d, Config: cfg}, nil
}

// Direct is the target of one concrete version, for a copy of a request
// that was routed elsewhere (a shadow copy): it reads the version itself.
func (e *Engine) Direct(function, qualifier, version string, route registry.Route) (Target, error) {
	v, err := e.reg.Version(function, version)
	if err != nil {
		return Target{}, classify(err)
	}
	return Target{
		Function: function, Qualifier: qualifier,
		Decision: registry.Decision{Version: v.Version, Route: route, CodeHash: v.RunHash(), CodeDir: v.CodeDir,
			Layers: registry.NewLayerTrees(v.LayerDirs())},
		Config: v.Config,
	}, nil
}
