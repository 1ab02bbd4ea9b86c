package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/scf-emulator/emulator/scferr"
)

// dropReason says why an instance was stopped; it is logged as "reason".
type dropReason string

const (
	dropIdle     dropReason = "idle"     // unused for IdleTimeout
	dropCrash    dropReason = "crash"    // exited, or failed with 434, 439, 445 or 446
	dropError    dropReason = "error"    // failed with an error of no platform class: state unknown
	dropTimeout  dropReason = "timeout"  // the invocation deadline fired: it may be stuck
	dropCanceled dropReason = "canceled" // the caller left mid-invocation
	dropRetire   dropReason = "retire"   // Manager.Retire
	dropShutdown dropReason = "shutdown" // Manager.Close
)

// errPoolRetired tells a request to fetch a fresh pool from the Manager.
var errPoolRetired = errors.New("pool retired")

// errNoInstance stands in for the error a faulty Runtime did not return.
var errNoInstance = errors.New("runtime returned neither an instance nor an error")

// discardReason returns why an instance that failed an invocation with err
// must not serve again, or "" when it stays warm (user errors, size limits).
func discardReason(err error) dropReason {
	switch scferr.Status(err) {
	case scferr.ErrProcessExit.Status, scferr.ErrMemory.Status,
		scferr.ErrContainerInit.Status, scferr.ErrPortBinding.Status:
		return dropCrash
	case scferr.ErrInternal.Status:
		return dropError
	}
	return ""
}

// requestCanceled is the error of a request whose caller went away. When
// the caller cancelled with a cause (a rollout hook stopped by an abort, a
// parking, the emulator stopping), the message names it: the message is
// what the invocation's log record and error body show.
func requestCanceled(ctx context.Context) error {
	msg := "request canceled"
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
		msg += ": " + cause.Error()
	}
	return scferr.New(scferr.ErrRequestCanceled, msg, ctx.Err())
}

// waitEndedError is the error of a request whose wait for an instance ended: a
// caller that left, or QueueTimeout spent waiting at the cap, which the
// platform reports as 432 (concurrency limit reached).
func (p *pool) waitEndedError(ctx context.Context) error {
	if ctx.Err() != nil {
		return requestCanceled(ctx)
	}
	return scferr.Newf(scferr.ErrConcurrency, nil, "resource limit reached: all %d instances of %s version %s stayed busy for %s",
		p.m.opts.MaxInstances, p.spec.Function, p.spec.Version, p.m.opts.QueueTimeout)
}

// startError gives a failed Runtime.Start a platform class. startCtx is the
// context Start ran under.
func (m *Manager) startError(startCtx context.Context, err error) error {
	switch {
	case m.forced.Load():
		return fmt.Errorf("%w: start aborted: %w", ErrClosed, err)
	case scferr.Status(err) != scferr.ErrInternal.Status:
		return err // already classed by the runtime, with the output tail
	case errors.Is(startCtx.Err(), context.DeadlineExceeded):
		return scferr.Newf(scferr.ErrContainerInit, err, "container init error: instance not ready after %s", m.opts.StartTimeout)
	}
	return scferr.New(scferr.ErrContainerInit, "container init error", err)
}
