package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// Runner is what runs one instance's code: a process of the host (child) or
// a container. The protocol types (apiInstance, goInstance, webInstance)
// drive a runner without knowing which one it is.
type Runner interface {
	// Done is closed when the code has exited and its output is drained.
	Done() <-chan struct{}
	// Output is where the code's stdout and stderr are captured.
	Output() *Output
	// FlushOutput waits until the output the code wrote before it answered
	// invocation id has been captured: until its end markers have been read
	// (see output_marker.go), written by the code or by the runner.
	FlushOutput(id string)
	// MemUsage returns the memory the code uses now in bytes, 0 when unknown.
	MemUsage() int64
	// OOMKills returns how many of the code's processes the OOM killer has
	// killed since it started, -1 when unknown.
	OOMKills() int64
	// Exit tells how the code ended. Only call it once done is closed.
	Exit() ExitInfo
	// Stop terminates the code and frees what it holds. It is idempotent,
	// returns once the code is gone, and runs on its own deadline whatever
	// ctx says.
	Stop(ctx context.Context) error
}

// ExitInfo is how a runner's code ended.
type ExitInfo struct {
	Status  string // e.g. "exit status 3", "signal: killed"
	OOM     bool   // killed for exceeding its memory limit
	LimitMB int    // that limit in MB, when oom
}

// IsDone reports whether r's code is gone.
func IsDone(r Runner) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// InitFailed is the 445 error for a start that failed, quoting the output.
func InitFailed(r Runner, format string, args ...any) error {
	return scferr.New(scferr.ErrContainerInit, withTail(fmt.Sprintf(format, args...), r.Output().Tail()), nil)
}

// ExitedEarly is the 445 error for code that exited during start. Only call
// it once done is closed.
func ExitedEarly(r Runner, what string) error {
	x := r.Exit()
	if x.OOM {
		return InitFailed(r, "%s was killed during initialization: memory limit of %d MB exceeded (%s)", what, x.LimitMB, x.Status)
	}
	return InitFailed(r, "%s exited during initialization (%s)", what, x.Status)
}

// exitedDuringInvoke is the error for code that died while it ran an
// invocation: 434 when the memory limit killed it, else 439. Only call it
// once done is closed.
func exitedDuringInvoke(r Runner) error {
	x := r.Exit()
	if x.OOM {
		msg := fmt.Sprintf("memory limit reached: the function used more than its %d MB and was killed (%s)", x.LimitMB, x.Status)
		return scferr.New(scferr.ErrMemory, withTail(msg, r.Output().Tail()), nil)
	}
	msg := fmt.Sprintf("user process exit when running (%s)", x.Status)
	return scferr.New(scferr.ErrProcessExit, withTail(msg, r.Output().Tail()), nil)
}

// oomDuringInvoke turns err, the failure of an invocation, into a 434 when
// the OOM killer killed one of the code's processes since before (an
// oomKills reading taken when the invocation began): a child such as curl
// under a bash handler, whose death the handler reports as its own error.
// Timeouts and cancellations are left alone.
func oomDuringInvoke(r Runner, before int64, err error, limitMB int) error {
	if err == nil || before < 0 || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if scferr.Status(err) == scferr.ErrMemory.Status {
		return err
	}
	if r.OOMKills() <= before {
		return err
	}
	msg := fmt.Sprintf("memory limit reached: a process of the function used more than its %d MB and was killed", limitMB)
	// What the handler reported stays visible, but not as a cause: the
	// error is a 434, not also a 430.
	e := scferr.New(scferr.ErrMemory, withTail(msg, r.Output().Tail()), nil)
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
	spec runtime.Spec
	run  Runner
}

// Exited is closed when the code is gone.
func (in *instance) Exited() <-chan struct{} { return in.run.Done() }

// errNotReady is waitReady's outcome when the init timeout passed.
var errNotReady = errors.New("not ready within the init timeout")

// waitReady returns nil once ready is closed or probe reports true (either
// may be nil), polling probe with backoff. Otherwise it returns the 445 error
// for code that exited, errNotReady when timeout passed, or ctx.Err(). what
// names the code in errors.
func waitReady(ctx context.Context, r Runner, timeout time.Duration, ready <-chan struct{}, probe func(context.Context) bool, what string) error {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A probe also ends when the code exits: a dial to the address of a
	// container that is gone waits for an answer that never comes, which
	// would hide the exit until the init timeout.
	pctx, cancelProbe := context.WithCancel(sctx)
	defer cancelProbe()
	go func() {
		select {
		case <-r.Done():
			cancelProbe()
		case <-pctx.Done():
		}
	}()
	backoff := 2 * time.Millisecond
	for {
		if probe != nil && probe(pctx) {
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
		case <-r.Done():
			return ExitedEarly(r, what)
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
func stopAfterFailedStart(ctx context.Context, in runtime.Instance, logger *slog.Logger) {
	if err := in.Stop(context.WithoutCancel(ctx)); err != nil {
		logger.Warn("stop after failed start", "err", err)
	}
}

// RunnerOf returns the runner under in when in was made by AwaitAPI, AwaitGo
// or AwaitWeb, else nil: the backends' tests reach their process or
// container through it.
func RunnerOf(in runtime.Instance) Runner {
	switch v := in.(type) {
	case *apiInstance:
		return v.run
	case *goInstance:
		return v.run
	case *webInstance:
		return v.run
	case *imageEventInstance:
		return v.run
	}
	return nil
}
