package main

import (
	"maps"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
)

// functionSpec maps a config function to the registry's declaration.
func functionSpec(f config.Function) registry.FunctionSpec {
	spec := registry.FunctionSpec{
		Name:      f.Name,
		Namespace: f.Namespace,
		Source:    f.Source,
		Build:     f.Build,
		Config: registry.FunctionConfig{
			Runtime: f.Runtime, Type: f.Type, Handler: f.Handler,
			MemorySize: f.MemorySize, Timeout: f.Timeout,
			Environment: f.Environment, Description: f.Description, Image: f.Image,
			Layers: layerRefs(f.Layers), Concurrency: f.Concurrency,
		},
	}
	if ic := f.ImageConfig; ic != nil {
		spec.Config.ImageConfig = &registry.ImageConfig{ImageURI: ic.ImageURI, Command: ic.Command, Args: ic.Args}
	}
	for _, a := range f.Aliases {
		al := registry.Alias{Name: a.Name, FunctionVersion: a.Version, StickyHeader: a.Sticky, Description: a.Description}
		if a.Shadow != nil {
			al.Shadow = &registry.Shadow{Version: a.Shadow.Version, Weight: a.Shadow.Weight, Diff: a.Shadow.Diff}
		}
		for _, w := range a.Weights {
			al.Weights = append(al.Weights, registry.VersionWeight{Version: w.Version, Weight: w.Weight})
		}
		for _, r := range a.Rules {
			al.Matches = append(al.Matches, registry.VersionMatch{Version: r.Version, Key: r.Key, Method: r.Method, Expression: r.Expression})
		}
		spec.Aliases = append(spec.Aliases, al)
	}
	return spec
}

// services is what the gateway serves: the config's API Gateway services
// plus the routes of apigw triggers created through the cloud API. A trigger
// joins the config service of the same name, or makes its own service.
func (a *App) services() []gateway.Service { return a.servicesOf(a.file) }

// servicesOf is services for config file f, which may be nil.
func (a *App) servicesOf(f *config.File) []gateway.Service {
	if f == nil {
		f = &config.File{}
	}
	out := make([]gateway.Service, 0, len(f.Services))
	index := map[string]int{}
	// Function names in emulator.yaml are unique, so an API's function name
	// names one registry key, whatever the function's namespace.
	keys := map[string]string{}
	for _, fn := range f.Functions {
		keys[fn.Name] = registry.Key(fn.Namespace, fn.Name)
	}
	for _, s := range f.Services {
		gs := gateway.Service{Name: s.Name, Stages: maps.Clone(s.Stages)}
		for _, api := range s.APIs {
			fn := api.Function
			if k, ok := keys[fn]; ok {
				fn = k
			}
			gs.APIs = append(gs.APIs, gateway.API{Path: api.Path, Method: api.Method, Function: fn, Stages: api.Stages,
				PassThrough: api.PassThrough})
		}
		index[s.Name] = len(out)
		out = append(out, gs)
	}
	for _, t := range a.reg.AllTriggers() {
		if !t.Enabled || t.Type != registry.TriggerAPIGateway {
			continue
		}
		i, ok := index[t.Service]
		if !ok {
			i = len(out)
			index[t.Service] = i
			out = append(out, gateway.Service{Name: t.Service, Stages: map[string]string{}})
		}
		if out[i].Stages == nil {
			out[i].Stages = map[string]string{}
		}
		if _, ok := out[i].Stages[t.Stage]; !ok {
			out[i].Stages[t.Stage] = "" // declared; only APIs bound to it answer there
		}
		out[i].APIs = append(out[i].APIs, gateway.API{Path: t.Path, Method: t.Method, Function: t.Function,
			Stages: map[string]string{t.Stage: t.Qualifier}, OnlyStages: true, PassThrough: t.PassThrough})
	}
	return out
}

// serviceBaseURL is where the gateway serves service: the gateway's URL
// while it serves one service, else the service's own Host
// (<service>.localhost), as the banner prints routes.
func (a *App) serviceBaseURL(service string) string {
	a.live.mu.Lock()
	n := len(a.services())
	a.live.mu.Unlock()
	if n > 1 {
		return serviceURL(a.GatewayURL(), service)
	}
	return a.GatewayURL()
}

func (a *App) configServiceNames() []string {
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	if a.file == nil {
		return nil
	}
	names := make([]string, 0, len(a.file.Services))
	for _, s := range a.file.Services {
		names = append(names, s.Name)
	}
	return names
}
