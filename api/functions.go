package api

import (
	"cmp"
	"context"
	"slices"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// getFunction returns the configuration of one version of a function, with
// all of the function's triggers whatever their qualifier.
// Fields the emulator has no notion of (VPC, CLS, layers) are sent
// empty in the platform's shape rather than left out, so clients that read
// them find what they expect.
func (s *Server) getFunction(_ context.Context, c *call) (any, error) {
	var p scf.GetFunctionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	qualifier := str(p.Qualifier)
	if qualifier == "" {
		qualifier = registry.Latest
	}
	f, err := s.backend.Function(c.function)
	if err != nil {
		return nil, err
	}
	// The qualifier is a version ($LATEST, 1, 2, ...) or an alias, which
	// stands for its primary version.
	version := qualifier
	switch platform.Qualifier(qualifier) {
	case platform.QualifierLatest, platform.QualifierVersion:
	case platform.QualifierAlias:
		a, err := s.backend.Alias(c.function, qualifier)
		if err != nil {
			return nil, err
		}
		version = a.FunctionVersion
	default:
		return nil, newError(codeBadQualifier, "qualifier %q is neither a version ($LATEST, 1, 2, ...) nor an alias name", qualifier)
	}
	v, err := s.backend.Version(c.function, version)
	if err != nil {
		return nil, err
	}
	modTime := v.ModTime
	if modTime.IsZero() {
		modTime = f.ModTime
	}
	ts, err := s.backend.Triggers(c.function)
	if err != nil {
		return nil, err
	}
	triggers := make([]*scf.Trigger, 0, len(ts))
	for _, t := range ts {
		triggers = append(triggers, s.toTrigger(t))
	}
	ns := namespaceOf(f.Namespace)
	return getFunctionOut{
		GetFunctionResponseParams: &scf.GetFunctionResponseParams{
			ModTime:                   ptr(formatTime(modTime)),
			CodeInfo:                  ptr(""),
			Description:               ptr(v.Config.Description),
			Handler:                   ptr(v.Config.Handler),
			CodeSize:                  ptr(v.CodeSize),
			Timeout:                   ptr(int64(v.Config.Timeout)),
			FunctionVersion:           ptr(v.Version),
			MemorySize:                ptr(int64(v.Config.MemorySize)),
			Runtime:                   ptr(v.Config.Runtime),
			FunctionName:              ptr(registry.NameOf(f.Name)),
			VpcConfig:                 &scf.VpcConfig{VpcId: ptr(""), SubnetId: ptr("")},
			UseGpu:                    ptr("FALSE"),
			CodeResult:                ptr("success"),
			CodeError:                 ptr(""),
			ErrNo:                     ptr(int64(0)),
			Namespace:                 ptr(ns),
			Role:                      ptr(""),
			InstallDependency:         ptr("FALSE"),
			Status:                    ptr("Active"),
			StatusDesc:                ptr(""),
			ClsLogsetId:               ptr(""),
			ClsTopicId:                ptr(""),
			FunctionId:                ptr(functionID(ns, registry.NameOf(f.Name))),
			Type:                      ptr(functionType(v.Config.Type)),
			L5Enable:                  ptr("FALSE"),
			AddTime:                   ptr(formatTime(f.AddTime)),
			OnsEnable:                 ptr("FALSE"),
			AvailableStatus:           ptr("Available"),
			Qualifier:                 ptr(qualifier),
			InitTimeout:               ptr(int64(65)),
			AsyncRunEnable:            ptr("FALSE"),
			TraceEnable:               ptr("FALSE"),
			DnsCache:                  ptr("FALSE"),
			InstanceConcurrencyConfig: concurrencyOut(v.Config),
			ImageConfig:               imageConfigOut(v.Config.ImageConfig),
		},
		Triggers:      triggers,
		Tags:          []*scf.Tag{},
		Layers:        s.layersOut(v),
		StatusReasons: []*scf.StatusReason{},
		Environment:   toEnvironment(v.Config.Environment),
	}, nil
}

// listFunctions lists functions ordered by Orderby (AddTime by default) and
// Order (DESC by default), ties broken by name. SearchKey and Description
// match substrings, ignoring case.
func (s *Server) listFunctions(_ context.Context, c *call) (any, error) {
	var p scf.ListFunctionsRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.checkNamespace(p.Namespace); err != nil {
		return nil, err
	}
	if len(p.Filters) > 0 {
		return nil, newError(codeBadFilters, "Filters are not supported by the emulator: its functions have no VPC, CLS or other cloud resources to filter on")
	}
	pg, err := pagingFromInts(p.Offset, p.Limit)
	if err != nil {
		return nil, err
	}
	desc, err := sortOrder(p.Order)
	if err != nil {
		return nil, err
	}
	orderBy, err := oneOf(p.Orderby, codeBadOrderBy, "Orderby", "AddTime", "ModTime", "FunctionName")
	if err != nil {
		return nil, err
	}
	search, descr := strings.ToLower(str(p.SearchKey)), strings.ToLower(str(p.Description))
	want := namespaceOf(str(p.Namespace))
	fns := slices.DeleteFunc(slices.Clone(s.backend.Functions()), func(f registry.Function) bool {
		return namespaceOf(f.Namespace) != want ||
			!strings.Contains(strings.ToLower(registry.NameOf(f.Name)), search) ||
			!strings.Contains(strings.ToLower(f.Config.Description), descr)
	})
	slices.SortStableFunc(fns, func(a, b registry.Function) int {
		r := 0
		switch orderBy {
		case "", "AddTime":
			r = a.AddTime.Compare(b.AddTime)
		case "ModTime":
			r = a.ModTime.Compare(b.ModTime)
		}
		if desc {
			r = -r
		}
		if r == 0 {
			// Names break ties in the requested direction only when they are the
			// sort key; otherwise ascending, so equal times list alphabetically.
			r = cmp.Compare(a.Name, b.Name)
			if desc && orderBy == "FunctionName" {
				r = -r
			}
		}
		return r
	})
	list := page(fns, pg)
	out := listFunctionsOut{Functions: make([]functionOut, 0, len(list)), TotalCount: int64(len(fns))}
	for _, f := range list {
		ns := namespaceOf(f.Namespace)
		out.Functions = append(out.Functions, functionOut{
			Function: &scf.Function{
				ModTime:                        ptr(formatTime(f.ModTime)),
				AddTime:                        ptr(formatTime(f.AddTime)),
				Runtime:                        ptr(f.Config.Runtime),
				FunctionName:                   ptr(registry.NameOf(f.Name)),
				FunctionId:                     ptr(functionID(ns, registry.NameOf(f.Name))),
				Namespace:                      ptr(ns),
				Status:                         ptr("Active"),
				StatusDesc:                     ptr(""),
				Description:                    ptr(f.Config.Description),
				Type:                           ptr(functionType(f.Config.Type)),
				TotalProvisionedConcurrencyMem: ptr(uint64(0)),
				ReservedConcurrencyMem:         ptr(uint64(0)),
				AsyncRunEnable:                 ptr("FALSE"),
				TraceEnable:                    ptr("FALSE"),
			},
			Tags:          []*scf.Tag{},
			StatusReasons: []*scf.StatusReason{},
		})
	}
	return out, nil
}
