package api

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func (s *Server) publishVersion(ctx context.Context, c *call) (any, error) {
	var p scf.PublishVersionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	v, err := s.backend.Publish(ctx, c.function, str(p.Description))
	if err != nil {
		return nil, err
	}
	return &scf.PublishVersionResponseParams{
		FunctionVersion: ptr(v.Version),
		CodeSize:        ptr(v.CodeSize),
		MemorySize:      ptr(int64(v.Config.MemorySize)),
		Description:     ptr(v.Description),
		Handler:         ptr(v.Config.Handler),
		Timeout:         ptr(int64(v.Config.Timeout)),
		Runtime:         ptr(v.Config.Runtime),
		Namespace:       ptr(registry.DefaultNamespace),
	}, nil
}

// listVersionByFunction lists $LATEST first, then the published versions,
// newest first unless Order/OrderBy say otherwise, as in the platform's
// example (["$LATEST","3","2","1"]). Offset and Limit page that whole list.
func (s *Server) listVersionByFunction(_ context.Context, c *call) (any, error) {
	var p scf.ListVersionByFunctionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	desc, err := sortOrder(p.Order)
	if err != nil {
		return nil, err
	}
	orderBy, err := oneOf(p.OrderBy, codeBadOrderBy, "OrderBy", "AddTime", "ModTime")
	if err != nil {
		return nil, err
	}
	f, err := s.backend.Function(c.function)
	if err != nil {
		return nil, err
	}
	all, err := s.backend.Versions(c.function)
	if err != nil {
		return nil, err
	}
	// Versions may or may not include $LATEST; it is always taken from the
	// function so it appears exactly once and first.
	published := slices.DeleteFunc(slices.Clone(all), func(v registry.Version) bool { return v.Version == registry.Latest })
	slices.SortStableFunc(published, func(a, b registry.Version) int {
		r := 0
		switch orderBy {
		case "AddTime":
			r = a.AddTime.Compare(b.AddTime)
		case "ModTime":
			r = a.ModTime.Compare(b.ModTime)
		}
		if r == 0 {
			r = cmp.Compare(versionNumber(a.Version), versionNumber(b.Version))
		}
		if desc {
			r = -r
		}
		return r
	})
	latest := f.Latest
	latest.Version = registry.Latest
	if latest.AddTime.IsZero() {
		latest.AddTime = f.AddTime
	}
	if latest.ModTime.IsZero() {
		latest.ModTime = f.ModTime
	}
	list := page(append([]registry.Version{latest}, published...), pagingFromUints(p.Offset, p.Limit))
	out := listVersionsOut{
		FunctionVersion: make([]string, 0, len(list)),
		Versions:        make([]*scf.FunctionVersion, 0, len(list)),
		TotalCount:      uint64(len(published) + 1),
	}
	for _, v := range list {
		out.FunctionVersion = append(out.FunctionVersion, v.Version)
		out.Versions = append(out.Versions, &scf.FunctionVersion{
			Version:     ptr(v.Version),
			Description: ptr(v.Description),
			AddTime:     ptr(formatTime(v.AddTime)),
			ModTime:     ptr(formatTime(v.ModTime)),
			Status:      ptr("Active"),
		})
	}
	return out, nil
}

// versionNumber orders published versions numerically ("10" after "9").
func versionNumber(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

func (s *Server) deleteFunctionVersion(_ context.Context, c *call) (any, error) {
	var p scf.DeleteFunctionVersionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("Qualifier", p.Qualifier)); err != nil {
		return nil, err
	}
	// ForceDelete is accepted and ignored: stopping a deleted version's
	// running instances is the backend's business, not the wire's.
	if err := s.backend.DeleteVersion(c.function, *p.Qualifier); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
