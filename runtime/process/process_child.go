package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

const (
	// stopGrace is how long a function may take to exit after SIGTERM.
	stopGrace = time.Second
	// stopTimeout bounds Stop as a whole, whatever the caller's ctx.
	stopTimeout = 5 * time.Second
)

// child is one function process: its own process group, every process it
// starts kept in its tree (a cgroup or a tracked set, see isolation), its
// stdout and stderr drained into an output, and reaped by a goroutine that
// closes exited. It is the process runtime's runner.
type child struct {
	pid     int
	tree    *tree
	limitMB int
	ooms    int64 // the tree's OOM kills when the main process exited; written before exited is closed
	out     *instance.Output
	pipe    *os.File      // read end of the stdout+stderr pipe
	markW   *os.File      // our write end of that pipe, for end markers; closed once the process exited
	drained chan struct{} // closed when the drain goroutine has returned
	exited  chan struct{} // closed when the process is reaped and drained
	exitErr error         // cmd.Wait's result; written before exited is closed
	logger  *slog.Logger
}

// startChild starts path with args in the code directory of spec, in a
// tree of its own. The goroutines it starts end when the process has been
// reaped, which stop guarantees.
func startChild(iso *isolation, spec runtime.Spec, path string, args []string, env []string, logger *slog.Logger) (*child, error) {
	limitMB, _ := instance.SpecLimits(spec)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = spec.CodeDir
	cmd.Stdout = w // one pipe for both keeps their relative order
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	tr, started := iso.prepare(limitMB, cmd.SysProcAttr, logger)
	cmd.Env = append(env, tr.env()...)
	err = cmd.Start()
	started()
	if err != nil {
		w.Close()
		r.Close()
		_ = tr.kill() // removes a cgroup made for it
		return nil, err
	}
	tr.attach(cmd.Process.Pid)
	logger = logger.With("pid", cmd.Process.Pid)
	c := &child{
		pid:     cmd.Process.Pid,
		tree:    tr,
		limitMB: limitMB,
		out:     instance.NewOutput(logger),
		pipe:    r,
		markW:   w, // the child has its copy; wait closes ours, so the pipe ends with the process
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
			c.out.Write(instance.StreamBoth, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (c *child) wait(cmd *exec.Cmd) {
	err := cmd.Wait()
	c.markW.Close()
	// An instance is gone when its main process is: whatever it spawned goes
	// too, as in a container, even what left the process group. This also
	// releases the pipe.
	c.ooms = c.tree.OOMKills()
	if err := c.tree.kill(); err != nil {
		c.logger.Warn("function processes left behind", "err", err)
	}
	t := time.NewTimer(instance.DrainGrace)
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

var _ instance.Runner = (*child)(nil)

// Stop terminates the tree: SIGTERM, then SIGKILL after stopGrace. It
// returns once the main process has been reaped and the rest killed.
func (c *child) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	select {
	case <-c.exited:
		return nil
	default:
	}
	c.tree.signal(syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-c.exited:
		return nil
	case <-t.C:
	}
	if err := c.tree.kill(); err != nil {
		c.logger.Debug("sigkill failed", "err", err)
	}
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop function process %d: %w", c.pid, ctx.Err())
	}
}

// Done is closed when the process has been reaped and its output drained.
func (c *child) Done() <-chan struct{} { return c.exited }

// Output is the process's captured stdout and stderr.
func (c *child) Output() *instance.Output { return c.out }

// FlushOutput waits until the output of invocation id has been captured.
// Code that writes no markers of its own handed its output to the pipe
// before it answered, so markers written into the pipe now come after it.
func (c *child) FlushOutput(id string) {
	if instance.IsDone(c) {
		return // drained completely before exited was closed
	}
	if !c.out.SelfMarked() {
		m := append(c.out.Marker('o', id), c.out.Marker('e', id)...)
		if _, err := c.markW.Write(m); err != nil {
			return // the process exited meanwhile: its output is drained
		}
	}
	c.out.WaitMarks(c.exited)
}

// MemUsage is the tree's peak memory since the previous call: the
// cgroup's, or the sum of its processes' resident sets as sampled.
func (c *child) MemUsage() int64 { return c.tree.MemUsage() }

// OOMKills is the tree's cgroup counter, -1 (unknown) without a cgroup.
func (c *child) OOMKills() int64 { return c.tree.OOMKills() }

// Exit reports cmd.Wait's result; a kill while the cgroup counted an OOM
// kill is the memory limit's doing.
func (c *child) Exit() instance.ExitInfo {
	x := instance.ExitInfo{Status: exitStatus(c.exitErr)}
	var ee *exec.ExitError
	if c.ooms > 0 && errors.As(c.exitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			x.OOM, x.LimitMB = true, c.limitMB
		}
	}
	return x
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
