package api

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// AsyncEvents runs async invocations and keeps their status and each
// function's async policy: *trigger.Async plus the policies, wired in
// cmd/emulator.
type AsyncEvents interface {
	Events() []trigger.AsyncEvent // newest first
	Event(id string) (trigger.AsyncEvent, bool)
	Terminate(function, id string) error
	Policy(function string) trigger.AsyncPolicy
	SetPolicy(function string, p trigger.AsyncPolicy) error
}

const asyncTimeLayout = "2006-01-02 15:04:05.000"

func (s *Server) asyncEvents() (AsyncEvents, error) {
	if s.opts.Async == nil {
		return nil, newError(codeUnsupportedOperation, "async events are not tracked by this server")
	}
	return s.opts.Async, nil
}

func asyncTime(t time.Time) *string {
	if t.IsZero() {
		return ptr("")
	}
	return ptr(t.Format(asyncTimeLayout))
}

// listAsyncEvents lists a function's async events, filtered by Qualifier,
// InvokeType, Status and InvokeRequestId, ordered by StartTime or EndTime.
func (s *Server) listAsyncEvents(_ context.Context, c *call) (any, error) {
	var p scf.ListAsyncEventsRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	a, err := s.asyncEvents()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.Triggers(c.function); err != nil {
		return nil, err
	}
	desc, err := sortOrder(p.Order)
	if err != nil {
		return nil, err
	}
	orderBy, err := oneOf(p.Orderby, codeBadOrderBy, "Orderby", "StartTime", "EndTime")
	if err != nil {
		return nil, err
	}
	in := func(list []*string, v string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(x *string) bool { return str(x) == v })
	}
	var evs []trigger.AsyncEvent
	for _, ev := range a.Events() {
		if ev.Function == c.function && (str(p.Qualifier) == "" || ev.Qualifier == str(p.Qualifier)) &&
			in(p.InvokeType, ev.InvokeType) && in(p.Status, ev.Status) &&
			(str(p.InvokeRequestId) == "" || ev.RequestID == str(p.InvokeRequestId)) {
			evs = append(evs, ev)
		}
	}
	slices.SortStableFunc(evs, func(x, y trigger.AsyncEvent) int {
		r := x.StartTime.Compare(y.StartTime)
		if orderBy == "EndTime" {
			r = x.EndTime.Compare(y.EndTime)
		}
		r = cmp.Or(r, cmp.Compare(x.RequestID, y.RequestID))
		if desc {
			r = -r
		}
		return r
	})
	off, limit := int64(0), int64(20)
	if p.Offset != nil {
		off = max(0, *p.Offset)
	}
	if p.Limit != nil {
		if *p.Limit < 1 || *p.Limit > 100 {
			return nil, newError(codeBadValue, "Limit must be 1 to 100, got %d", *p.Limit)
		}
		limit = *p.Limit
	}
	out := &scf.ListAsyncEventsResponseParams{TotalCount: ptr(int64(len(evs))), EventList: []*scf.AsyncEvent{}}
	for i := off; i < int64(len(evs)) && i < off+limit; i++ {
		ev := evs[i]
		out.EventList = append(out.EventList, &scf.AsyncEvent{InvokeRequestId: ptr(ev.RequestID), InvokeType: ptr(ev.InvokeType),
			Qualifier: ptr(ev.Qualifier), Status: ptr(ev.Status), StartTime: asyncTime(ev.StartTime), EndTime: asyncTime(ev.EndTime)})
	}
	return out, nil
}

func (s *Server) getAsyncEventStatus(_ context.Context, c *call) (any, error) {
	var p scf.GetAsyncEventStatusRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	a, err := s.asyncEvents()
	if err != nil {
		return nil, err
	}
	if str(p.InvokeRequestId) == "" {
		return nil, newError(codeMissingParameter, "InvokeRequestId is required")
	}
	ev, ok := a.Event(str(p.InvokeRequestId))
	if !ok {
		return nil, newError(codeAsyncNotFound, "no async event %s", str(p.InvokeRequestId))
	}
	return &scf.GetAsyncEventStatusResponseParams{Result: &scf.AsyncEventStatus{Status: ptr(ev.Status),
		StatusCode: ptr(int64(ev.StatusCode)), InvokeRequestId: ptr(ev.RequestID)}}, nil
}

func (s *Server) terminateAsyncEvent(_ context.Context, c *call) (any, error) {
	var p scf.TerminateAsyncEventRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("InvokeRequestId", p.InvokeRequestId)); err != nil {
		return nil, err
	}
	a, err := s.asyncEvents()
	if err != nil {
		return nil, err
	}
	switch err := a.Terminate(c.function, *p.InvokeRequestId); {
	case errors.Is(err, trigger.ErrEventNotFound):
		return nil, newError(codeAsyncNotFound, "%v", err)
	case errors.Is(err, trigger.ErrEventDone):
		return nil, newError(codeAsyncDone, "%v", err)
	case err != nil:
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) getEventInvokeConfig(_ context.Context, c *call) (any, error) {
	var p scf.GetFunctionEventInvokeConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	a, err := s.asyncEvents()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.Triggers(c.function); err != nil {
		return nil, err
	}
	pol := a.Policy(c.function)
	return &scf.GetFunctionEventInvokeConfigResponseParams{AsyncTriggerConfig: &scf.AsyncTriggerConfig{
		RetryConfig: []*scf.RetryConfig{{RetryNum: ptr(int64(pol.RetryNum))}}, MsgTTL: ptr(int64(pol.MsgTTL / time.Second))}}, nil
}

// updateEventInvokeConfig sets RetryNum and MsgTTL; an absent one keeps
// its value.
func (s *Server) updateEventInvokeConfig(_ context.Context, c *call) (any, error) {
	var p scf.UpdateFunctionEventInvokeConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	a, err := s.asyncEvents()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.Triggers(c.function); err != nil {
		return nil, err
	}
	if p.AsyncTriggerConfig == nil {
		return nil, newError(codeMissingParameter, "AsyncTriggerConfig is required")
	}
	pol := a.Policy(c.function)
	if rc := p.AsyncTriggerConfig.RetryConfig; len(rc) > 0 && rc[0] != nil && rc[0].RetryNum != nil {
		pol.RetryNum = int(*rc[0].RetryNum)
	}
	if ttl := p.AsyncTriggerConfig.MsgTTL; ttl != nil {
		pol.MsgTTL = time.Duration(*ttl) * time.Second
	}
	if err := pol.Check(); err != nil {
		return nil, newError(codeBadValue, "AsyncTriggerConfig: %v", err)
	}
	if err := a.SetPolicy(c.function, pol); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateTrigger changes a trigger's desc, qualifier, enable state or
// description; what the call leaves out keeps its value.
func (s *Server) updateTrigger(_ context.Context, c *call) (any, error) {
	var p scf.UpdateTriggerRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("TriggerName", p.TriggerName), need("Type", p.Type)); err != nil {
		return nil, err
	}
	return s.changeTrigger(c, *p.TriggerName, *p.Type, p.Qualifier, p.Enable, p.TriggerDesc, p.Description, p.CustomArgument)
}

func (s *Server) updateTriggerStatus(_ context.Context, c *call) (any, error) {
	var p scf.UpdateTriggerStatusRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("TriggerName", p.TriggerName), need("Type", p.Type), need("Enable", p.Enable)); err != nil {
		return nil, err
	}
	return s.changeTrigger(c, *p.TriggerName, *p.Type, nil, p.Enable, p.TriggerDesc, nil, nil)
}

func (s *Server) changeTrigger(c *call, name, typ string, qualifier, enable, desc, description, custom *string) (any, error) {
	ts, err := s.backend.Triggers(c.function)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ts, func(t registry.Trigger) bool { return t.Name == name && t.Type == typ })
	if i < 0 {
		return nil, newError(codeTriggerNotFound, "function %s has no %s trigger %s", c.function, typ, name)
	}
	t := ts[i]
	switch e := strings.ToUpper(str(enable)); e {
	case "":
	case "OPEN":
		t.Enabled = true
	case "CLOSE":
		t.Enabled = false
	default:
		return nil, newError(codeBadEnable, "Enable must be OPEN or CLOSE, got %q", str(enable))
	}
	if q := str(qualifier); q != "" {
		t.Qualifier = q
	}
	if description != nil {
		if err := checkDescription(*description); err != nil {
			return nil, err
		}
		t.Description = *description
	}
	if desc != nil && strings.TrimSpace(*desc) != "" {
		if typ == registry.TriggerAPIGateway {
			return nil, newError(codeTriggerUnsupported, "an apigw trigger's TriggerDesc cannot be changed; delete and create it")
		}
		msg := t.Message
		if custom != nil {
			msg = *custom
		}
		if err := s.parseEventDesc(&t, *desc, msg); err != nil {
			return nil, err
		}
		t.Desc = *desc
	} else if custom != nil {
		t.Message = *custom
	}
	if _, err := s.backend.UpdateTrigger(c.function, t); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
