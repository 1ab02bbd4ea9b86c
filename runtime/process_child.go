package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

const (
	// stopGrace is how long a function may take to exit after SIGTERM.
	stopGrace = time.Second
	// stopTimeout bounds Stop as a whole, whatever the caller's ctx.
	stopTimeout = 5 * time.Second
	// drainGrace is how long the output pipe may stay open after the main
	// process exited (a child that escaped the process group holds it).
	drainGrace = time.Second
	// flushLimit bounds the wait for output written just before a result.
	flushLimit = 200 * time.Millisecond
)

// child is one function process: its own process group, its stdout and
// stderr drained into an output, and reaped by a goroutine that closes
// exited.
type child struct {
	pid     int
	out     *output
	pipe    *os.File      // read end of the stdout+stderr pipe
	drained chan struct{} // closed when the drain goroutine has returned
	exited  chan struct{} // closed when the process is reaped and drained
	exitErr error         // cmd.Wait's result; written before exited is closed
	logger  *slog.Logger
}

// startChild starts path with args in dir. The goroutines it starts end
// when the process has been reaped, which stop guarantees.
func startChild(path string, args []string, dir string, env []string, logger *slog.Logger) (*child, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = w // one pipe for both keeps their relative order
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	w.Close() // the child has its copy; ours would hold the pipe open
	if err != nil {
		r.Close()
		return nil, err
	}
	logger = logger.With("pid", cmd.Process.Pid)
	c := &child{
		pid:     cmd.Process.Pid,
		out:     newOutput(logger),
		pipe:    r,
		drained: make(chan struct{}),
		exited:  make(chan struct{}),
		logger:  logger,
	}
	logger.Debug("function process started", "path", path)
	go c.drain()
	go c.wait(cmd)
	return c, nil
}

// drain reads the pipe until every writer is gone or the pipe is closed. It
// never stops reading, so a flooding function cannot block on a full pipe.
func (c *child) drain() {
	defer close(c.drained)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.pipe.Read(buf)
		if n > 0 {
			c.out.read.Add(int64(n))
			c.out.write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (c *child) wait(cmd *exec.Cmd) {
	err := cmd.Wait()
	// An instance is gone when its main process is: whatever it spawned goes
	// too, as in a container. This also releases the pipe.
	_ = signalGroup(c.pid, syscall.SIGKILL)
	t := time.NewTimer(drainGrace)
	select {
	case <-c.drained:
	case <-t.C:
	}
	t.Stop()
	c.pipe.Close() // ends a drain still blocked on an escaped writer
	<-c.drained
	c.exitErr = err
	c.logger.Debug("function process exited", "status", exitStatus(err))
	close(c.exited)
}

// stop terminates the process group: SIGTERM, then SIGKILL after
// stopGrace. It returns once the process has been reaped.
func (c *child) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	select {
	case <-c.exited:
		return nil
	default:
	}
	if err := signalGroup(c.pid, syscall.SIGTERM); err != nil {
		c.logger.Debug("sigterm failed", "err", err)
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-c.exited:
		return nil
	case <-t.C:
	}
	if err := signalGroup(c.pid, syscall.SIGKILL); err != nil {
		c.logger.Debug("sigkill failed", "err", err)
	}
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop function process %d: %w", c.pid, ctx.Err())
	}
}

// isExited reports whether the process is gone.
func (c *child) isExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// flushOutput waits until output written before now has been captured.
func (c *child) flushOutput() {
	if c.isExited() {
		return // drained completely before exited was closed
	}
	c.out.flush(func() int { return pipePending(c.pipe) }, flushLimit)
}

// initFailed is the 445 error for a start that failed, quoting the output.
func (c *child) initFailed(format string, args ...any) error {
	return scferr.New(scferr.ErrContainerInit, withTail(fmt.Sprintf(format, args...), c.out.tail()), nil)
}

// exitedEarly is the 445 error for a process that exited during start.
// Only call it once exited is closed.
func (c *child) exitedEarly(what string) error {
	return c.initFailed("%s exited during initialization (%s)", what, exitStatus(c.exitErr))
}

// exitedDuringInvoke is the 439 error for a process that died while it ran
// an invocation. Only call it once exited is closed.
func (c *child) exitedDuringInvoke() error {
	msg := fmt.Sprintf("user process exit when running (%s)", exitStatus(c.exitErr))
	return scferr.New(scferr.ErrProcessExit, withTail(msg, c.out.tail()), nil)
}

func withTail(msg, tail string) string {
	if tail == "" {
		return msg
	}
	return msg + ":\n" + tail
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.String()
	default:
		return err.Error()
	}
}

// instance holds what every process instance has: the spec and the child.
// The protocol types embed it.
type instance struct {
	spec  Spec
	child *child
}

// Exited is closed when the process has been reaped.
func (in *instance) Exited() <-chan struct{} { return in.child.exited }

// errNotReady is waitReady's outcome when the init timeout passed.
var errNotReady = errors.New("not ready within the init timeout")

// waitReady returns nil once ready is closed or probe reports true (either
// may be nil), polling probe with backoff. Otherwise it returns the 445 error
// for a process that exited, errNotReady when timeout passed, or ctx.Err().
// what names the process in errors.
func waitReady(ctx context.Context, c *child, timeout time.Duration, ready <-chan struct{}, probe func(context.Context) bool, what string) error {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := 5 * time.Millisecond
	for {
		if probe != nil && probe(sctx) {
			return nil
		}
		var poll <-chan time.Time
		if probe != nil {
			poll = time.After(backoff)
			backoff = min(2*backoff, 100*time.Millisecond)
		}
		select {
		case <-ready:
			return nil
		case <-c.exited:
			return c.exitedEarly(what)
		case <-sctx.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			return errNotReady
		case <-poll:
		}
	}
}
