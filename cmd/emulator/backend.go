package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

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

// gatewayBackend adapts the engine to the gateway's Backend. It is also the
// gateway's Shadower (shadow.go), running copies on bg.
type gatewayBackend struct {
	eng *engine.Engine
	rec *recorder
	bg  *background
}

var (
	_ gateway.Backend  = gatewayBackend{}
	_ gateway.Shadower = gatewayBackend{}
)

func (b gatewayBackend) Resolve(_ context.Context, function, qualifier string, header http.Header) (gateway.Target, error) {
	d, cfg, err := b.eng.Resolve(function, qualifier, headerKeys(header))
	if err != nil {
		return gateway.Target{}, err
	}
	return gateway.Target{
		Function: function, Namespace: registry.DefaultNamespace, Qualifier: qualifier,
		Version: d.Version, Route: string(d.Route), Type: cfg.Type,
		MemoryMB: cfg.MemorySize, TimeoutSec: cfg.Timeout, Shadow: d.Shadow,
	}, nil
}

func (b gatewayBackend) Invoke(ctx context.Context, t gateway.Target, requestID string, event []byte) ([]byte, error) {
	start := time.Now()
	res, err := b.eng.InvokeEvent(ctx, t.Function, t.Version, requestID, event)
	b.rec.record(gatewayCall(t, requestID, start, res, err))
	return res.Payload, err
}

func (b gatewayBackend) Serve(ctx context.Context, t gateway.Target, requestID string, fn func(ctx context.Context, addr string) error) error {
	start := time.Now()
	cold, err := b.eng.Serve(ctx, t.Function, t.Version, fn)
	b.rec.record(gatewayCall(t, requestID, start, runtime.Result{ColdStart: cold}, err))
	return err
}

func gatewayCall(t gateway.Target, requestID string, start time.Time, res runtime.Result, err error) call {
	source := logstore.SourceGateway
	if t.Route == gateway.RouteShadow {
		source = sourceShadow
	}
	return call{source: source, requestID: requestID, function: t.Function, qualifier: t.Qualifier,
		version: t.Version, route: t.Route, stage: t.Stage, memoryMB: t.MemoryMB, start: start, res: res, err: err}
}

// apiBackend adapts the registry and the engine to the cloud API's Backend.
type apiBackend struct {
	*registry.Registry
	eng     *engine.Engine
	rec     *recorder
	bg      *background
	observe func(invokeRecord)
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
	start := time.Now()
	qualifier := req.Qualifier
	if qualifier == "" {
		qualifier = registry.Default
	}
	d, cfg, err := b.eng.Resolve(req.Function, qualifier, mapKeys(req.RoutingKey))
	if err != nil {
		return api.InvokeResult{}, err
	}
	if cfg.Type == registry.TypeHTTP {
		return api.InvokeResult{}, registryTypeError(req.Function)
	}
	id := uuid.NewString()
	c := call{source: logstore.SourceAPI, requestID: id, function: req.Function, qualifier: qualifier,
		version: d.Version, route: string(d.Route), memoryMB: cfg.MemorySize, start: start}
	if d.Shadow != "" {
		b.shadowInvoke(c, d.Shadow, req.Event)
	}
	if req.Async {
		return b.invokeAsync(c, req.Event)
	}
	res, ferr := b.eng.InvokeEvent(ctx, req.Function, d.Version, id, req.Event)
	c.res, c.err = res, ferr
	b.rec.record(c)
	b.notify(c, time.Since(start))
	return api.InvokeResult{
		RequestID: id, Version: d.Version, Payload: res.Payload, FuncErr: ferr,
		Log: res.Log, Duration: res.Duration, MemUsage: res.MemUsage,
	}, nil
}

// invokeAsync records the call as running, answers at once and runs it in
// the background on the App's lifetime (an Event invocation outlives the API
// request); GetRequestStatus sees it finish.
func (b apiBackend) invokeAsync(c call, event []byte) (api.InvokeResult, error) {
	c.source = logstore.SourceAsync
	if b.rec != nil {
		_ = b.rec.logs.Append(logstore.Record{RequestID: c.requestID, Function: c.function, Namespace: registry.DefaultNamespace,
			Qualifier: c.qualifier, Version: c.version, Source: c.source, StartTime: c.start, MemoryMB: c.memoryMB, Running: true})
	}
	b.bg.Go(func(ctx context.Context) {
		c.res, c.err = b.eng.InvokeEvent(ctx, c.function, c.version, c.requestID, event)
		b.rec.record(c) // replaces the running record (same RequestID)
		b.notify(c, time.Since(c.start))
	})
	return api.InvokeResult{RequestID: c.requestID, Version: c.version}, nil
}

func (b apiBackend) notify(c call, took time.Duration) {
	if b.observe != nil {
		b.observe(invokeRecord{Function: c.function, Qualifier: c.qualifier, Version: c.version, Route: c.route,
			RequestID: c.requestID, Status: statusOf(c.err), Duration: took, Cold: c.res.ColdStart, Err: c.err})
	}
}

// FunctionLogs reads the invocation records GetFunctionLogs and
// GetRequestStatus report.
func (b apiBackend) FunctionLogs(_ context.Context, q api.LogQuery) ([]api.LogEntry, error) {
	recs, _ := b.rec.logs.Query(logstore.Query{Function: q.Function, Qualifier: q.Qualifier, RequestID: q.RequestID, Since: q.Start, Until: q.End})
	out := make([]api.LogEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, api.LogEntry{RequestID: r.RequestID, Function: r.Function, Qualifier: r.Qualifier, Version: r.Version,
			Alias: r.Alias, StartTime: r.StartTime, Duration: r.Duration, BillDuration: r.BillDuration, MemUsage: r.MemUsage,
			Status: r.Status, RetMsg: r.RetMsg, Log: r.Log, Running: r.Running})
	}
	return out, nil
}

func registryTypeError(function string) error {
	return fmt.Errorf("%w: %s is a web function; it can only be called through the gateway", registry.ErrFunctionType, function)
}

func statusOf(err error) int { return scferr.Status(err) }
