package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/memprobe"
)

const (
	// containerStopTimeout bounds a container's removal and the end of its
	// goroutines, whatever the caller's ctx.
	containerStopTimeout = 10 * time.Second
	// settleMin and settleQuiet tune the fallback of flushOutput where no
	// end marker can be written (a remote engine and code that writes none
	// itself): output the function wrote just before its result travels
	// through the daemon, which cannot say what is in transit, so it gets a
	// moment to arrive. Measured here: p99 about 1 ms, a rare few ms on a
	// loaded machine; such late output misses Result.Log but stays in the
	// debug log and error tails.
	settleMin   = time.Millisecond
	settleQuiet = time.Millisecond
)

// container is the docker runtime's runner: one container, its output
// streamed from an attach connection into an output, and its exit watched
// through the daemon.
type container struct {
	d       *Docker
	id      string
	name    string
	limitMB int
	out     *instance.Output
	logger  *slog.Logger

	// ctx ends the container's daemon calls (wait, the inspect after the
	// exit); stop cancels it once the container is removed.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex   // guards stream and stopping: Close may stop a container that Start is still setting up
	stream   attachStream // nil until watch begins
	stopping bool         // stop has begun; watch must not begin after it

	drained chan struct{}     // closed when the drain goroutine returns
	exited  chan struct{}     // closed once exited and drained (or never started)
	endOnce sync.Once         // closes exited
	info    instance.ExitInfo // written before exited is closed

	mem memprobe.Probe // set once after start, before the instance is handed out

	stopOnce sync.Once
	stopErr  error
}

var _ instance.Runner = (*container)(nil)

func newContainer(d *Docker, id, name string, limitMB int, logger *slog.Logger) *container {
	ctx, cancel := context.WithCancel(d.life)
	return &container{
		d:       d,
		id:      id,
		name:    name,
		limitMB: limitMB,
		out:     instance.NewOutput(logger),
		logger:  logger,
		ctx:     ctx,
		cancel:  cancel,
		drained: make(chan struct{}),
		exited:  make(chan struct{}),
	}
}

// watch starts the goroutines that drain stream into the output and close
// exited once wait returns. Call it at most once, before start. It reports
// false, and closes stream, when stop has begun.
func (c *container) watch(stream attachStream, wait func() (int64, error)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		stream.Close()
		return false
	}
	c.stream = stream
	c.d.wg.Add(2)
	go func() {
		defer c.d.wg.Done()
		defer close(c.drained)
		_ = stream.copyTo(instance.OutputWriter{Out: c.out, Stream: instance.StreamStdout}, instance.OutputWriter{Out: c.out, Stream: instance.StreamStderr})
	}()
	go func() {
		defer c.d.wg.Done()
		code, err := wait()
		c.finish(code, err)
	}()
	return true
}

// finish records how the container ended and closes exited.
func (c *container) finish(code int64, waitErr error) {
	// The stream ends with the container; output still in flight gets a
	// moment, then the stream is closed under a reader that hangs.
	t := time.NewTimer(instance.DrainGrace)
	select {
	case <-c.drained:
	case <-t.C:
	}
	t.Stop()
	c.stream.Close()
	<-c.drained

	info := instance.ExitInfo{Status: fmt.Sprintf("exit code %d", code), LimitMB: c.limitMB}
	if waitErr != nil {
		info.Status = "wait failed: " + waitErr.Error()
	}
	// Only inspect says whether the kernel's OOM killer struck. stop
	// cancels ctx once it removed the container: then nobody asks.
	ctx, cancel := context.WithTimeout(c.ctx, dockerCallTimeout)
	defer cancel()
	if st, err := c.d.api.inspect(ctx, c.id); err == nil {
		info.OOM = st.oomKilled
		if waitErr != nil && !st.running {
			info.Status = fmt.Sprintf("exit code %d", st.exitCode)
		}
	}
	if info.OOM {
		info.Status = "OOM killed, " + info.Status
	}
	c.logger.Debug("container exited", "status", info.Status)
	c.end(info)
}

// end publishes info and closes exited, once.
func (c *container) end(info instance.ExitInfo) {
	c.endOnce.Do(func() {
		c.info = info
		close(c.exited)
	})
}

func (c *container) Done() <-chan struct{} { return c.exited }

func (c *container) Output() *instance.Output { return c.out }

func (c *container) Exit() instance.ExitInfo { return c.info }

func (c *container) MemUsage() int64 { return c.mem.Usage() }

func (c *container) OOMKills() int64 { return c.mem.OOMKills() }

// FlushOutput waits until the output of invocation id has been captured:
// until its end markers came through the attach stream. For code that
// writes none itself, they are written into the pipes of the container's
// main process, which hold the code's output until the daemon reads it;
// where that cannot be done (a remote engine, no permission), a short
// settle is the fallback.
func (c *container) FlushOutput(id string) {
	if instance.IsDone(c) {
		return
	}
	if !c.out.SelfMarked() {
		if err := c.injectMarks(id); err != nil {
			c.logger.Debug("cannot write output end markers; settling instead", "err", err)
			c.out.Settle(settleMin, settleQuiet, instance.FlushLimit)
			return
		}
	}
	c.out.WaitMarks(c.exited)
}

// injectMarks writes the end markers of invocation id into the stdout and
// stderr pipes of the container's main process through /proc, which works
// for a local engine when this process may open them (as root does).
func (c *container) injectMarks(id string) error {
	if c.mem.PID <= 0 {
		return errors.New("the container's process is not on this machine")
	}
	for fd, tag := range map[int]byte{1: 'o', 2: 'e'} {
		// Non-blocking: the open fails instead of waiting when the pipe has
		// no reader, and the write waits in the poller, bounded.
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/%d", c.mem.PID, fd), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		_ = f.SetWriteDeadline(time.Now().Add(instance.MarkWait))
		_, err = f.Write(c.out.Marker(tag, id))
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Stop force-removes the container on a context no request can cancel and
// waits for its goroutines. A container that is already gone counts as
// removed.
func (c *container) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopping = true
		watched := c.stream != nil
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), containerStopTimeout)
		defer cancel()
		t0 := time.Now()
		err := c.d.removeContainer(ctx, c.id)
		took := time.Since(t0)
		if err != nil {
			err = fmt.Errorf("remove container %s: %w", c.name, err)
		}
		// The daemon ended the wait when it removed the container; cancel
		// ends it when the daemon could not be reached.
		c.cancel()
		if !watched {
			c.end(instance.ExitInfo{Status: "removed before it started", LimitMB: c.limitMB})
		}
		select {
		case <-c.exited:
		case <-ctx.Done():
			err = errors.Join(err, fmt.Errorf("container %s: watcher did not end: %w", c.name, ctx.Err()))
		}
		c.d.forget(c)
		c.stopErr = err
		c.logger.Debug("container removed", "took", took.Round(time.Millisecond), "err", err)
	})
	return c.stopErr
}
