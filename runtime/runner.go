package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// runner is what runs one instance's code: a process of the host (child) or
// a container. The protocol types (apiInstance, goInstance, webInstance)
// drive a runner without knowing which one it is.
type runner interface {
	// done is closed when the code has exited and its output is drained.
	done() <-chan struct{}
	// output is where the code's stdout and stderr are captured.
	output() *output
	// flushOutput waits until the output the code wrote before it answered
	// invocation id has been captured: until its end markers have been read
	// (see output_marker.go), written by the code or by the runner.
	flushOutput(id string)
	// memUsage returns the memory the code uses now in bytes, 0 when unknown.
	memUsage() int64
	// oomKills returns how many of the code's processes the OOM killer has
	// killed since it started, -1 when unknown.
	oomKills() int64
	// exit tells how the code ended. Only call it once done is closed.
	exit() exitInfo
	// stop terminates the code and frees what it holds. It is idempotent,
	// returns once the code is gone, and runs on its own deadline whatever
	// ctx says.
	stop(ctx context.Context) error
}

// exitInfo is how a runner's code ended.
type exitInfo struct {
	status string // e.g. "exit status 3", "signal: killed"
	oom    bool   // killed for exceeding its memory limit
	limit  int    // that limit in MB, when oom
}

// isDone reports whether r's code is gone.
func isDone(r runner) bool {
	select {
	case <-r.done():
		return true
	default:
		return false
	}
}

// initFailed is the 445 error for a start that failed, quoting the output.
func initFailed(r runner, format string, args ...any) error {
	return scferr.New(scferr.ErrContainerInit, withTail(fmt.Sprintf(format, args...), r.output().tail()), nil)
}

// exitedEarly is the 445 error for code that exited during start. Only call
// it once done is closed.
func exitedEarly(r runner, what string) error {
	x := r.exit()
	if x.oom {
		return initFailed(r, "%s was killed during initialization: memory limit of %d MB exceeded (%s)", what, x.limit, x.status)
	}
	return initFailed(r, "%s exited during initialization (%s)", what, x.status)
}

// exitedDuringInvoke is the error for code that died while it ran an
// invocation: 434 when the memory limit killed it, else 439. Only call it
// once done is closed.
func exitedDuringInvoke(r runner) error {
	x := r.exit()
	if x.oom {
		msg := fmt.Sprintf("memory limit reached: the function used more than its %d MB and was killed (%s)", x.limit, x.status)
		return scferr.New(scferr.ErrMemory, withTail(msg, r.output().tail()), nil)
	}
	msg := fmt.Sprintf("user process exit when running (%s)", x.status)
	return scferr.New(scferr.ErrProcessExit, withTail(msg, r.output().tail()), nil)
}

// oomDuringInvoke turns err, the failure of an invocation, into a 434 when
// the OOM killer killed one of the code's processes since before (an
// oomKills reading taken when the invocation began): a child such as curl
// under a bash handler, whose death the handler reports as its own error.
// Timeouts and cancellations are left alone.
func oomDuringInvoke(r runner, before int64, err error, limitMB int) error {
	if err == nil || before < 0 || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if scferr.Status(err) == scferr.ErrMemory.Status {
		return err
	}
	if r.oomKills() <= before {
		return err
	}
	msg := fmt.Sprintf("memory limit reached: a process of the function used more than its %d MB and was killed", limitMB)
	// What the handler reported stays visible, but not as a cause: the
	// error is a 434, not also a 430.
	e := scferr.New(scferr.ErrMemory, withTail(msg, r.output().tail()), nil)
	e.StackTrace = scferr.As(err).StackTrace
	return e
}

func withTail(msg, tail string) string {
	if tail == "" {
		return msg
	}
	return msg + ":\n" + tail
}

// instance holds what every instance has: the spec and the runner. The
// protocol types embed it.
type instance struct {
	spec Spec
	run  runner
}

// Exited is closed when the code is gone.
func (in *instance) Exited() <-chan struct{} { return in.run.done() }

// errNotReady is waitReady's outcome when the init timeout passed.
var errNotReady = errors.New("not ready within the init timeout")

// waitReady returns nil once ready is closed or probe reports true (either
// may be nil), polling probe with backoff. Otherwise it returns the 445 error
// for code that exited, errNotReady when timeout passed, or ctx.Err(). what
// names the code in errors.
func waitReady(ctx context.Context, r runner, timeout time.Duration, ready <-chan struct{}, probe func(context.Context) bool, what string) error {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := 2 * time.Millisecond
	for {
		if probe != nil && probe(sctx) {
			return nil
		}
		var poll <-chan time.Time
		if probe != nil {
			poll = time.After(backoff)
			backoff = min(2*backoff, 50*time.Millisecond)
		}
		select {
		case <-ready:
			return nil
		case <-r.done():
			return exitedEarly(r, what)
		case <-sctx.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			return errNotReady
		case <-poll:
		}
	}
}

// stopAfterFailedStart stops an instance whose start failed. The caller has
// its own error to report, so a failure to stop is only logged.
func stopAfterFailedStart(ctx context.Context, in Instance, logger *slog.Logger) {
	if err := in.Stop(context.WithoutCancel(ctx)); err != nil {
		logger.Warn("stop after failed start", "err", err)
	}
}
