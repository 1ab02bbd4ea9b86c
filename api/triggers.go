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

type listTriggersOut struct {
	Triggers   []*scf.TriggerInfo `json:"Triggers"`
	TotalCount uint64             `json:"TotalCount"`
}

// createTrigger binds an API Gateway path, method and stage of a service to
// a qualifier of the function. Only apigw triggers exist in the emulator.
// The qualifier defaults to $DEFAULT, as the SCF console and the Serverless
// components do and the API recommends (the bare API says $LATEST).
func (s *Server) createTrigger(_ context.Context, c *call) (any, error) {
	var p scf.CreateTriggerRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("TriggerName", p.TriggerName), need("Type", p.Type)); err != nil {
		return nil, err
	}
	switch *p.Type {
	case registry.TriggerAPIGateway, registry.TriggerTimer, registry.TriggerCOS, registry.TriggerCKafka, registry.TriggerCMQ, registry.TriggerCLB:
	default:
		return nil, newError(codeTriggerUnsupported, "trigger type %s is not supported by the emulator; it runs apigw, timer, cos, ckafka, cmq and clb triggers", *p.Type)
	}
	if err := platform.CheckTriggerName(*p.TriggerName); err != nil {
		return nil, newError(codeBadTriggerName, "invalid TriggerName: %v", err)
	}
	enabled := true
	switch e := strings.ToUpper(str(p.Enable)); e {
	case "", "OPEN":
	case "CLOSE":
		enabled = false
	default:
		return nil, newError(codeBadEnable, "Enable must be OPEN or CLOSE, got %q", str(p.Enable))
	}
	if err := checkDescription(str(p.Description)); err != nil {
		return nil, err
	}
	qualifier := str(p.Qualifier)
	if qualifier == "" {
		qualifier = registry.Default
	}
	if *p.Type != registry.TriggerAPIGateway {
		t := registry.Trigger{Name: *p.TriggerName, Type: *p.Type, Qualifier: qualifier, Enabled: enabled,
			Desc: str(p.TriggerDesc), Description: str(p.Description)}
		if err := s.parseEventDesc(&t, str(p.TriggerDesc), str(p.CustomArgument)); err != nil {
			return nil, err
		}
		t, err := s.backend.CreateTrigger(c.function, t)
		if err != nil {
			return nil, err
		}
		return &scf.CreateTriggerResponseParams{TriggerInfo: s.toTrigger(t)}, nil
	}
	b, err := parseAPIGWDesc(str(p.TriggerDesc), c.function)
	if err != nil {
		return nil, err
	}
	if b.service, err = s.resolveService(b.service, b.serviceID); err != nil {
		return nil, err
	}
	t, err := s.backend.CreateTrigger(c.function, registry.Trigger{
		Name: *p.TriggerName, Type: registry.TriggerAPIGateway, Qualifier: qualifier,
		Service: b.service, Stage: b.stage, Path: b.path, Method: b.method,
		PassThrough: !b.integrated, Enabled: enabled,
		Desc: str(p.TriggerDesc), Description: str(p.Description),
	})
	if err != nil {
		return nil, err
	}
	return &scf.CreateTriggerResponseParams{TriggerInfo: s.toTrigger(t)}, nil
}

// resolveService names the service a desc binds. A serviceId must belong to
// a known service: one from emulator.yaml or one a trigger created.
func (s *Server) resolveService(name, id string) (string, error) {
	if name != "" {
		if id != "" && id != serviceID(name) {
			return "", newError(codeBadTriggerDesc, "TriggerDesc service.serviceId %s is not the id of service %s (%s)", id, name, serviceID(name))
		}
		return name, nil
	}
	if id == "" {
		return defaultService, nil
	}
	var known []string
	if s.opts.ServiceNames != nil {
		known = s.opts.ServiceNames()
	}
	for _, f := range s.backend.Functions() {
		ts, _ := s.backend.Triggers(f.Name)
		for _, t := range ts {
			known = append(known, t.Service)
		}
	}
	for _, n := range known {
		if serviceID(n) == id {
			return n, nil
		}
	}
	return "", newError(codeBadTriggerDesc, "TriggerDesc service.serviceId %s is no service the emulator knows; give service.serviceName instead and the service is created", id)
}

func (s *Server) toTrigger(t registry.Trigger) *scf.Trigger {
	enable := int64(0)
	if t.Enabled {
		enable = 1
	}
	desc := renderEventDesc(t)
	if t.Type == registry.TriggerAPIGateway {
		desc = s.renderDesc(t)
	}
	return &scf.Trigger{
		ModTime: ptr(formatTime(t.ModTime)), Type: ptr(t.Type), TriggerDesc: ptr(desc),
		TriggerName: ptr(t.Name), AddTime: ptr(formatTime(t.AddTime)), Enable: ptr(enable),
		CustomArgument: ptr(t.Message), AvailableStatus: ptr("Available"), ResourceId: ptr(""),
		BindStatus: ptr(""), TriggerAttribute: ptr(""), Qualifier: ptr(t.Qualifier), Description: ptr(t.Description),
	}
}

// listTriggers lists the function's triggers ordered by OrderBy (add_time
// or mod_time, default mod_time) and Order (default DESC), filtered by
// Filters on Qualifier, TriggerName or Description (a trigger matches a
// filter when its field equals one of the values).
func (s *Server) listTriggers(_ context.Context, c *call) (any, error) {
	var p scf.ListTriggersRequestParams
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
	orderBy, err := oneOf(p.OrderBy, codeBadOrderBy, "OrderBy", "add_time", "mod_time")
	if err != nil {
		return nil, err
	}
	keep, err := triggerFilter(p.Filters)
	if err != nil {
		return nil, err
	}
	all, err := s.backend.Triggers(c.function)
	if err != nil {
		return nil, err
	}
	ts := slices.DeleteFunc(slices.Clone(all), func(t registry.Trigger) bool { return !keep(t) })
	slices.SortStableFunc(ts, func(a, b registry.Trigger) int {
		r := a.ModTime.Compare(b.ModTime)
		if orderBy == "add_time" {
			r = a.AddTime.Compare(b.AddTime)
		}
		if r == 0 {
			r = cmp.Compare(a.Name, b.Name)
		}
		if desc {
			r = -r
		}
		return r
	})
	list := page(ts, pagingFromUints(p.Offset, p.Limit))
	out := listTriggersOut{Triggers: make([]*scf.TriggerInfo, 0, len(list)), TotalCount: uint64(len(ts))}
	for _, t := range list {
		v := s.toTrigger(t)
		enable := uint64(*v.Enable)
		out.Triggers = append(out.Triggers, &scf.TriggerInfo{
			Enable: &enable, Qualifier: v.Qualifier, TriggerName: v.TriggerName, Type: v.Type, TriggerDesc: v.TriggerDesc,
			AvailableStatus: v.AvailableStatus, CustomArgument: v.CustomArgument, AddTime: v.AddTime, ModTime: v.ModTime,
			ResourceId: v.ResourceId, BindStatus: v.BindStatus, TriggerAttribute: v.TriggerAttribute,
			Description: v.Description, BoundResources: ptr(""),
		})
	}
	return out, nil
}

func triggerFilter(filters []*scf.Filter) (func(registry.Trigger) bool, error) {
	type check struct {
		field  func(registry.Trigger) string
		values []string
	}
	var checks []check
	for i, f := range filters {
		if f == nil {
			return nil, newError(codeBadFilters, "Filters[%d] is null", i)
		}
		var field func(registry.Trigger) string
		switch str(f.Name) {
		case "Qualifier":
			field = func(t registry.Trigger) string { return t.Qualifier }
		case "TriggerName":
			field = func(t registry.Trigger) string { return t.Name }
		case "Description":
			field = func(t registry.Trigger) string { return t.Description }
		default:
			return nil, newError(codeBadFilters, "Filters[%d].Name must be Qualifier, TriggerName or Description, got %q", i, str(f.Name))
		}
		var values []string
		for _, v := range f.Values {
			values = append(values, str(v))
		}
		checks = append(checks, check{field, values})
	}
	return func(t registry.Trigger) bool {
		for _, c := range checks {
			if !slices.Contains(c.values, c.field(t)) {
				return false
			}
		}
		return true
	}, nil
}

// deleteTrigger deletes a trigger named by function, name and type; a
// Qualifier, when given, must be the trigger's.
func (s *Server) deleteTrigger(_ context.Context, c *call) (any, error) {
	var p scf.DeleteTriggerRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("TriggerName", p.TriggerName), need("Type", p.Type)); err != nil {
		return nil, err
	}
	ts, err := s.backend.Triggers(c.function)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ts, func(t registry.Trigger) bool { return t.Name == *p.TriggerName })
	if i < 0 || ts[i].Type != *p.Type || (str(p.Qualifier) != "" && str(p.Qualifier) != ts[i].Qualifier) {
		what := *p.Type + " trigger " + *p.TriggerName
		if q := str(p.Qualifier); q != "" {
			what += " on " + q
		}
		return nil, newError(codeTriggerNotFound, "function %s has no %s", c.function, what)
	}
	if err := s.backend.DeleteTrigger(c.function, *p.TriggerName); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
