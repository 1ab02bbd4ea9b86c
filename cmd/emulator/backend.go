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
	"github.com/scf-emulator/emulator/registry"
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

// gatewayBackend adapts the engine to the gateway's Backend.
type gatewayBackend struct{ eng *engine.Engine }

var _ gateway.Backend = gatewayBackend{}

func (b gatewayBackend) Resolve(_ context.Context, function, qualifier string, header http.Header) (gateway.Target, error) {
	d, cfg, err := b.eng.Resolve(function, qualifier, headerKeys(header))
	if err != nil {
		return gateway.Target{}, err
	}
	return gateway.Target{
		Function: function, Namespace: registry.DefaultNamespace, Qualifier: qualifier,
		Version: d.Version, Route: string(d.Route), Type: cfg.Type,
		MemoryMB: cfg.MemorySize, TimeoutSec: cfg.Timeout,
	}, nil
}

func (b gatewayBackend) Invoke(ctx context.Context, t gateway.Target, requestID string, event []byte) ([]byte, error) {
	res, err := b.eng.InvokeEvent(ctx, t.Function, t.Version, requestID, event)
	return res.Payload, err
}

func (b gatewayBackend) Serve(ctx context.Context, t gateway.Target, _ string, fn func(ctx context.Context, addr string) error) error {
	_, err := b.eng.Serve(ctx, t.Function, t.Version, fn)
	return err
}

// apiBackend adapts the registry and the engine to the cloud API's Backend.
type apiBackend struct {
	*registry.Registry
	eng     *engine.Engine
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
	res, ferr := b.eng.InvokeEvent(ctx, req.Function, d.Version, id, req.Event)
	out := api.InvokeResult{
		RequestID: id, Version: d.Version, Payload: res.Payload, FuncErr: ferr,
		Log: res.Log, Duration: res.Duration, MemUsage: res.MemUsage,
	}
	if b.observe != nil {
		b.observe(invokeRecord{Function: req.Function, Qualifier: qualifier, Version: d.Version, Route: string(d.Route),
			RequestID: id, Status: statusOf(ferr), Duration: time.Since(start), Cold: res.ColdStart, Err: ferr})
	}
	return out, nil
}

func registryTypeError(function string) error {
	return fmt.Errorf("%w: %s is a web function; it can only be called through the gateway", registry.ErrFunctionType, function)
}

func statusOf(err error) int { return scferr.Status(err) }
