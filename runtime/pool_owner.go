package runtime

import (
	"context"
	"slices"
	"time"
)

// run is the one goroutine of an instance: it starts it, hands it to the
// requester (or parks it idle), then owns it until it is stopped. ctx is
// detached from the request that caused the start.
func (p *pool) run(ctx context.Context, sc *startCall) {
	defer p.m.wg.Done()
	mem, dur, err := p.start(ctx)

	p.mu.Lock()
	p.starting--
	sc.finished, sc.dur = true, dur
	if i := slices.Index(p.spares, sc); i >= 0 {
		p.spares = slices.Delete(p.spares, i, i+1) // finished unclaimed: it goes idle below
	}
	if err != nil {
		sc.err = err
		p.dispatchLocked() // capacity freed: a waiter may try its own start
		empty := p.emptyLocked()
		p.mu.Unlock()
		if empty {
			p.m.collect(p)
		}
		close(sc.done)
		return
	}
	p.live++
	switch {
	case p.retired && p.reason == dropShutdown:
		// Closing: the instance is stopped by own below, never used.
		sc.err = ErrClosed
		p.parkLocked(mem)
	case sc.abandoned:
		p.parkLocked(mem)
		p.dispatchLocked()
	default:
		p.leaseLocked(mem)
		sc.mem = mem
		p.dispatchLocked() // a shared instance has slots to spare
	}
	p.mu.Unlock()
	close(sc.done)
	p.own(ctx, mem)
}

// start runs Runtime.Start under StartTimeout, aborted if Close gives up.
func (p *pool) start(ctx context.Context) (*member, time.Duration, error) {
	sctx, cancel := context.WithTimeout(ctx, p.m.opts.StartTimeout)
	defer cancel()
	unhook := context.AfterFunc(p.m.force, cancel)
	defer unhook()

	t0 := time.Now()
	inst, err := p.m.rt.Start(sctx, p.spec)
	dur := time.Since(t0)
	if err == nil && inst == nil {
		err = errNoInstance
	}
	if err != nil {
		if inst != nil {
			p.m.stop(ctx, p, &member{inst: inst}, dropCrash)
		}
		err = p.m.startError(sctx, err)
		p.m.log.Warn("instance start failed", "function", p.spec.Function, "version", p.spec.Version, "duration", dur, "error", err)
		return nil, dur, err
	}
	p.m.log.Info("instance started", "function", p.spec.Function, "version", p.spec.Version, "duration", dur, "runtime", p.m.rt.Name())
	return &member{inst: inst, kill: make(chan dropReason, 1)}, dur, nil
}

// own watches one started instance until it must stop: idle for IdleTimeout,
// exited while idle, its pool retired while idle, or removed by the request
// that held it (timeout, crash, retire). A busy instance is never stopped
// here, except when Close gives up waiting.
func (p *pool) own(ctx context.Context, mem *member) {
	idleTimeout := p.idleTimeout()
	timer := time.NewTimer(idleTimeout)
	defer timer.Stop()
	exited := mem.inst.Exited()
	drain := p.drain
	force := p.m.force.Done()
	forced := false

	var reason dropReason
	for reason == "" {
		select {
		case reason = <-mem.kill:
		case <-drain:
			drain = nil
			if p.removeIfIdle(mem) {
				reason = p.retiredReason()
			}
		case <-exited:
			// Busy: the request sees the failure and release removes it.
			exited = nil
			if p.removeIfIdle(mem) {
				reason = dropCrash
			}
		case <-timer.C:
			if wait, removed := p.idleFor(mem, idleTimeout); removed {
				reason = dropIdle
			} else {
				timer.Reset(wait)
			}
		case <-force:
			// Close ran out of time: stopping the instance ends the
			// request holding it, whose release then sends kill.
			force = nil
			if p.removeIfIdle(mem) {
				reason = dropShutdown
			} else {
				forced = true
				p.m.stop(ctx, p, mem, dropShutdown)
			}
		}
	}
	if !forced {
		p.m.stop(ctx, p, mem, reason)
	}
	p.mu.Lock()
	p.topUpLocked(ctx) // a provisioned instance that crashed is replaced
	p.mu.Unlock()
	p.m.collect(p)
}

// removeIfIdle removes mem when it is idle and reports whether it did.
func (p *pool) removeIfIdle(mem *member) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if mem.inflight > 0 || mem.removed {
		return false
	}
	p.removeLocked(mem)
	p.dispatchLocked()
	return true
}

// idleFor removes mem when it has been idle for timeout; otherwise it returns
// how long to wait before checking again.
func (p *pool) idleFor(mem *member, timeout time.Duration) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if mem.inflight > 0 || mem.removed {
		return timeout, false
	}
	if left := timeout - time.Since(mem.lastUsed); left > 0 {
		return left, false
	}
	if p.live <= p.provisioned {
		return timeout, false // provisioned: kept warm
	}
	p.removeLocked(mem)
	p.dispatchLocked()
	return 0, true
}

func (p *pool) retiredReason() dropReason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}
