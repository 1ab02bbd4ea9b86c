package api

import (
	"cmp"
	"context"
	"slices"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func (s *Server) createAlias(_ context.Context, c *call) (any, error) {
	var in createAliasIn
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	p := in.CreateAliasRequestParams
	if err := c.check(p.FunctionName, p.Namespace, need("Name", p.Name), need("FunctionVersion", p.FunctionVersion)); err != nil {
		return nil, err
	}
	weights, matches, err := fromRoutingConfig(in.RoutingConfig.sdkRouting())
	if err != nil {
		return nil, err
	}
	a := registry.Alias{
		Name:            *p.Name,
		FunctionVersion: *p.FunctionVersion,
		Weights:         weights,
		Matches:         matches,
		Description:     str(p.Description),
	}
	if err := applyExtensions(&a, in.RoutingConfig); err != nil {
		return nil, err
	}
	if err := s.backend.CreateAlias(c.function, a); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateAlias replaces the alias' version and routing. An omitted
// RoutingConfig clears the routing (the platform's way to send all traffic to
// one version); an omitted Description keeps the old one. The emulator's
// extensions (StickyHeader, Shadow; see aliasext.go) are kept unless the
// request names them, so an update through the plain SDK does not silently
// undo them.
func (s *Server) updateAlias(_ context.Context, c *call) (any, error) {
	var in updateAliasIn
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	p := in.UpdateAliasRequestParams
	if err := c.check(p.FunctionName, p.Namespace, need("Name", p.Name), need("FunctionVersion", p.FunctionVersion)); err != nil {
		return nil, err
	}
	weights, matches, err := fromRoutingConfig(in.RoutingConfig.sdkRouting())
	if err != nil {
		return nil, err
	}
	a, err := s.backend.Alias(c.function, *p.Name)
	if err != nil {
		return nil, err
	}
	a.FunctionVersion = *p.FunctionVersion
	a.Weights = weights
	a.Matches = matches
	if p.Description != nil {
		a.Description = *p.Description
	}
	if err := applyExtensions(&a, in.RoutingConfig); err != nil {
		return nil, err
	}
	if err := s.backend.UpdateAlias(c.function, a); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) getAlias(_ context.Context, c *call) (any, error) {
	var p scf.GetAliasRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("Name", p.Name)); err != nil {
		return nil, err
	}
	a, err := s.backend.Alias(c.function, *p.Name)
	if err != nil {
		return nil, err
	}
	out := toAlias(a)
	return getAliasOut{
		GetAliasResponseParams: &scf.GetAliasResponseParams{
			FunctionVersion: out.FunctionVersion,
			Name:            out.Name,
			Description:     out.Description,
			AddTime:         out.AddTime,
			ModTime:         out.ModTime,
		},
		RoutingConfig: out.RoutingConfig,
	}, nil
}

// listAliases lists the function's aliases, $DEFAULT included, sorted by
// name ($DEFAULT sorts first), paged by the string Offset/Limit.
func (s *Server) listAliases(_ context.Context, c *call) (any, error) {
	var p scf.ListAliasesRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	pg, err := pagingFromStrings(p.Offset, p.Limit)
	if err != nil {
		return nil, err
	}
	aliases, err := s.backend.Aliases(c.function, str(p.FunctionVersion))
	if err != nil {
		return nil, err
	}
	aliases = slices.Clone(aliases)
	slices.SortFunc(aliases, func(a, b registry.Alias) int { return cmp.Compare(a.Name, b.Name) })
	list := page(aliases, pg)
	out := listAliasesOut{Aliases: make([]aliasOut, 0, len(list)), TotalCount: uint64(len(aliases))}
	for _, a := range list {
		out.Aliases = append(out.Aliases, toAlias(a))
	}
	return out, nil
}

func (s *Server) deleteAlias(_ context.Context, c *call) (any, error) {
	var p scf.DeleteAliasRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("Name", p.Name)); err != nil {
		return nil, err
	}
	if err := s.backend.DeleteAlias(c.function, *p.Name); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
