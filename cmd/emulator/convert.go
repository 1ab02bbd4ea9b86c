package main

import (
	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
)

// functionSpec maps a config function to the registry's declaration.
func functionSpec(f config.Function) registry.FunctionSpec {
	spec := registry.FunctionSpec{
		Name:      f.Name,
		Namespace: registry.DefaultNamespace,
		Source:    f.Source,
		Build:     f.Build,
		Config: registry.FunctionConfig{
			Runtime: f.Runtime, Type: f.Type, Handler: f.Handler,
			MemorySize: f.MemorySize, Timeout: f.Timeout,
			Environment: f.Environment, Description: f.Description, Image: f.Image,
		},
	}
	for _, a := range f.Aliases {
		al := registry.Alias{Name: a.Name, FunctionVersion: a.Version, StickyHeader: a.Sticky, Description: a.Description}
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

// services maps the config's API Gateway services to the gateway's.
func services(file *config.File) []gateway.Service {
	out := make([]gateway.Service, 0, len(file.Services))
	for _, s := range file.Services {
		gs := gateway.Service{Name: s.Name, Stages: s.Stages}
		for _, a := range s.APIs {
			gs.APIs = append(gs.APIs, gateway.API{Path: a.Path, Method: a.Method, Function: a.Function, Stages: a.Stages})
		}
		out = append(out, gs)
	}
	return out
}
