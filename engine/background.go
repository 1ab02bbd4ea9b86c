package engine

import (
	"context"
	"sync"
)

// MaxShadowCopies bounds the shadow copies in flight in one engine, gateway
// and cloud API together: a slow or hanging candidate must not pile up
// goroutines and instances. Copies beyond it are dropped and counted.
const MaxShadowCopies = 32

// background runs work that outlives the request that started it (async
// invocations, shadow copies) on the engine's lifetime: Close cancels it and
// waits.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackground() *background {
	ctx, cancel := context.WithCancel(context.Background())
	return &background{ctx: ctx, cancel: cancel}
}

// Go runs fn in a goroutine that close waits for.
func (b *background) Go(fn func(ctx context.Context)) {
	b.wg.Go(func() { fn(b.ctx) })
}

func (b *background) close() {
	b.cancel()
	b.wg.Wait()
}

// Go runs fn on the engine's lifetime: its ctx ends at Close, which waits.
func (e *Engine) Go(fn func(ctx context.Context)) { e.bg.Go(fn) }

// Shadow runs fn as a shadow copy to a version in the background, unless
// MaxShadowCopies are in flight: then the copy is dropped, counted in the
// version's metrics, and Shadow returns false.
func (e *Engine) Shadow(function, version string, fn func(ctx context.Context)) bool {
	select {
	case e.shadows <- struct{}{}:
	default:
		e.ShadowSkipped(function, version)
		return false
	}
	e.bg.Go(func(ctx context.Context) {
		defer func() { <-e.shadows }()
		fn(ctx)
	})
	return true
}

// ShadowSkipped counts a copy that was not run.
func (e *Engine) ShadowSkipped(function, version string) {
	if e.met != nil {
		e.met.ShadowDropped(function, version)
	}
}
