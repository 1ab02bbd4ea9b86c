package main

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/gateway"
)

// maxShadowCopies bounds the shadow copies in flight in one App, gateway
// and cloud API together: a slow or hanging candidate must not pile up
// goroutines and instances. Copies beyond it are dropped and counted.
const maxShadowCopies = 32

// sourceShadow is the log record Source of a shadow copy.
const sourceShadow = "shadow"

// shadowSlots is the semaphore of shadow copies in flight; it lives beside
// the recorder, which the gateway and the cloud API backends share.
type shadowSlots struct {
	once  sync.Once
	slots chan struct{} // one token per copy in flight; made on first use
}

// shadow runs fn as a shadow copy to version on the App's background
// lifetime, unless maxShadowCopies are in flight: then the copy is dropped,
// counted in the version's metrics, and shadow returns false.
func (r *recorder) shadow(bg *background, function, version string, fn func(ctx context.Context)) bool {
	if r == nil || bg == nil {
		return false
	}
	r.slots.once.Do(func() { r.slots.slots = make(chan struct{}, maxShadowCopies) })
	select {
	case r.slots.slots <- struct{}{}:
	default:
		r.met.ShadowDropped(function, version)
		return false
	}
	bg.Go(func(ctx context.Context) {
		defer func() { <-r.slots.slots }()
		fn(ctx)
	})
	return true
}

// Shadow runs a copy the gateway prepared; the copy's Invoke or Serve
// records it, as a shadow call, through this same backend.
func (b gatewayBackend) Shadow(t gateway.Target, run func(ctx context.Context)) {
	b.rec.shadow(b.bg, t.Function, t.Version, run)
}

// ShadowSkipped counts a copy the gateway could not prepare.
func (b gatewayBackend) ShadowSkipped(t gateway.Target, _ string) {
	if b.rec != nil {
		b.rec.met.ShadowDropped(t.Function, t.Version)
	}
}

// shadowInvoke copies a cloud API Invoke of an alias to the decision's
// shadow version, with its own request id; the answer is discarded.
func (b apiBackend) shadowInvoke(c call, shadowVersion string, event []byte) {
	ev := bytes.Clone(event)
	c.source, c.route, c.version, c.requestID = sourceShadow, gateway.RouteShadow, shadowVersion, uuid.NewString()
	b.rec.shadow(b.bg, c.function, shadowVersion, func(ctx context.Context) {
		c.start = time.Now()
		c.res, c.err = b.eng.InvokeEvent(ctx, c.function, c.version, c.requestID, ev)
		b.rec.record(c)
	})
}

// isShadow reports whether a recorded call was a shadow copy.
func (c call) isShadow() bool { return c.route == gateway.RouteShadow }
