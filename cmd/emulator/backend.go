package main

import (
	"context"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/eventsource"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
)

// The adapters below map the gateway's, the cloud API's and the rollout
// manager's types onto the engine, which resolves, runs and records.

// headerKeys lets rules read HTTP request headers, case-insensitively.
type headerKeys http.Header

func (h headerKeys) Get(key string) (string, bool) {
	v := http.Header(h).Values(key)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// mapKeys lets rules read the RoutingKey object of an Invoke call.
type mapKeys map[string]string

func (m mapKeys) Get(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// gatewayBackend adapts the engine to the gateway's Backend, Shadower and
// Comparer, and to the replay's Backend (diffs.go); diffs is nil where
// nothing is compared.
type gatewayBackend struct {
	eng   *engine.Engine
	diffs *diff.Store
}

var (
	_ gateway.Backend  = gatewayBackend{}
	_ gateway.Shadower = gatewayBackend{}
)

func (b gatewayBackend) Resolve(_ context.Context, function, qualifier string, header http.Header) (gateway.Target, error) {
	t, err := b.eng.Resolve(function, qualifier, headerKeys(header))
	if err != nil {
		return gateway.Target{}, err
	}
	return gateway.Target{
		Function: function, Namespace: registry.NamespaceOf(function), Qualifier: qualifier,
		Version: t.Version, Route: string(t.Route), Type: t.Config.Type,
		MemoryMB: t.Config.MemorySize, TimeoutSec: t.Config.Timeout, Shadow: t.Shadow, ShadowDiff: t.ShadowDiff, Handle: t,
	}, nil
}

// target is the engine's target behind a gateway target: the one Resolve
// made, or, for a shadow copy (which has none), the copy's own version.
func (b gatewayBackend) target(gt gateway.Target) (engine.Target, error) {
	if t, ok := gt.Handle.(engine.Target); ok {
		return t, nil
	}
	return b.eng.Direct(gt.Function, gt.Qualifier, gt.Version, registry.Route(gt.Route))
}

func (b gatewayBackend) call(gt gateway.Target, requestID string) engine.Call {
	source := logstore.SourceGateway
	if gt.Route == gateway.RouteShadow {
		source = engine.SourceShadow
	}
	return engine.Call{Source: source, RequestID: requestID, Stage: gt.Stage, Start: time.Now()}
}

func (b gatewayBackend) Invoke(ctx context.Context, gt gateway.Target, requestID string, event []byte) ([]byte, error) {
	c := b.call(gt, requestID)
	t, err := b.target(gt)
	if err != nil {
		return nil, err
	}
	res, err := b.eng.Run(ctx, t, c, event)
	return res.Payload, err
}

func (b gatewayBackend) Serve(ctx context.Context, gt gateway.Target, requestID string, fn func(ctx context.Context, addr string) error) error {
	c := b.call(gt, requestID)
	t, err := b.target(gt)
	if err != nil {
		return err
	}
	return b.eng.Serve(ctx, t, c, fn)
}

// Shadow runs a copy the gateway prepared, bounded by the engine.
func (b gatewayBackend) Shadow(gt gateway.Target, run func(ctx context.Context)) {
	b.eng.Shadow(gt.Function, gt.Version, run)
}

// ShadowSkipped counts a copy the gateway could not prepare.
func (b gatewayBackend) ShadowSkipped(gt gateway.Target, _ string) {
	b.eng.ShadowSkipped(gt.Function, gt.Version)
}

// apiBackend adapts the registry and the engine to the cloud API's Backend.
type apiBackend struct {
	*registry.Registry
	eng     *engine.Engine
	logs    *logstore.Store
	observe func(invokeRecord)
	trig    *eventsource.Rig // async Invoke gets the platform's retries; nil runs it once
}

var _ api.Backend = apiBackend{}

// invokeRecord is one Invoke call through the cloud API, for the console.
type invokeRecord struct {
	Function, Qualifier, Version, Route, RequestID string
	Status                                         int
	Duration                                       time.Duration
	Cold                                           bool
	Err                                            error
}

func (b apiBackend) Invoke(ctx context.Context, req api.InvokeRequest) (api.InvokeResult, error) {
	if req.Async && b.trig != nil {
		t, err := b.eng.Resolve(req.Function, req.Qualifier, mapKeys(req.RoutingKey))
		if err != nil {
			return api.InvokeResult{}, err
		}
		id, err := b.trig.Submit(req.Function, req.Qualifier, "Event", "", req.Event, nil)
		return api.InvokeResult{RequestID: id, Version: t.Version}, err
	}
	o, err := b.eng.Invoke(ctx, engine.Request{Function: req.Function, Qualifier: req.Qualifier,
		Keys: mapKeys(req.RoutingKey), Event: req.Event, Async: req.Async, Done: b.notify})
	if err != nil {
		return api.InvokeResult{}, err
	}
	res := o.Result
	return api.InvokeResult{
		RequestID: o.RequestID, Version: o.Target.Version, Payload: res.Payload, FuncErr: o.Err,
		Log: res.Log, Duration: res.Duration, MemUsage: res.MemUsage,
	}, nil
}

func (b apiBackend) notify(o engine.Outcome) {
	if b.observe != nil {
		t := o.Target
		b.observe(invokeRecord{Function: t.Function, Qualifier: t.Qualifier, Version: t.Version, Route: string(t.Route),
			RequestID: o.RequestID, Status: scferr.Status(o.Err), Duration: o.Took, Cold: o.Result.ColdStart, Err: o.Err})
	}
}

// FunctionLogs reads the invocation records GetFunctionLogs and
// GetRequestStatus report.
func (b apiBackend) FunctionLogs(_ context.Context, q api.LogQuery) ([]api.LogEntry, error) {
	recs, _ := b.logs.Query(logstore.Query{Function: q.Function, Qualifier: q.Qualifier, RequestID: q.RequestID, Since: q.Start, Until: q.End})
	out := make([]api.LogEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, api.LogEntry{RequestID: r.RequestID, Function: r.Function, Qualifier: r.Qualifier, Version: r.Version,
			Alias: r.Alias, StartTime: r.StartTime, Duration: r.Duration, BillDuration: r.BillDuration, MemUsage: r.MemUsage,
			Status: r.Status, RetMsg: r.RetMsg, Log: r.Log, Running: r.Running, RetryNum: r.RetryNum})
	}
	return out, nil
}
