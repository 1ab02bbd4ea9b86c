package main

import (
	"context"
	"sync"
)

// background runs work that outlives the request that started it (async
// invocations) on the App's lifetime: Close cancels it and waits.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackground(parent context.Context) *background {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	return &background{ctx: ctx, cancel: cancel}
}

// Go runs fn in a goroutine that Close waits for.
func (b *background) Go(fn func(ctx context.Context)) {
	b.wg.Go(func() { fn(b.ctx) })
}

// Close cancels the running work and waits for it to return.
func (b *background) Close() {
	b.cancel()
	b.wg.Wait()
}
