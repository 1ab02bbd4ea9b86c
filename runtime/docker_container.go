package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

const (
	// containerStopTimeout bounds a container's removal and the end of its
	// goroutines, whatever the caller's ctx.
	containerStopTimeout = 10 * time.Second
	// settleMin and settleQuiet tune flushOutput: output the function wrote
	// just before its result travels through the daemon, which cannot say
	// what is in transit, so it gets a moment to arrive. Measured here: p99
	// about 1 ms, a rare few ms on a loaded machine; such late output misses
	// Result.Log but stays in the debug log and error tails.
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
	out     *output
	logger  *slog.Logger

	// ctx ends the container's daemon calls (wait, the inspect after the
	// exit); stop cancels it once the container is removed.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex   // guards stream and stopping: Close may stop a container that Start is still setting up
	stream   attachStream // nil until watch begins
	stopping bool         // stop has begun; watch must not begin after it

	drained chan struct{} // closed when the drain goroutine returns
	exited  chan struct{} // closed once exited and drained (or never started)
	endOnce sync.Once     // closes exited
	info    exitInfo      // written before exited is closed

	mem memProbe // set once after start, before the instance is handed out

	stopOnce sync.Once
	stopErr  error
}

var _ runner = (*container)(nil)

func newContainer(d *Docker, id, name string, limitMB int, logger *slog.Logger) *container {
	ctx, cancel := context.WithCancel(d.life)
	return &container{
		d:       d,
		id:      id,
		name:    name,
		limitMB: limitMB,
		out:     newOutput(logger),
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
		_ = stream.copyTo(outputWriter{c.out})
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
	t := time.NewTimer(drainGrace)
	select {
	case <-c.drained:
	case <-t.C:
	}
	t.Stop()
	c.stream.Close()
	<-c.drained

	info := exitInfo{status: fmt.Sprintf("exit code %d", code), limit: c.limitMB}
	if waitErr != nil {
		info.status = "wait failed: " + waitErr.Error()
	}
	// Only inspect says whether the kernel's OOM killer struck. stop
	// cancels ctx once it removed the container: then nobody asks.
	ctx, cancel := context.WithTimeout(c.ctx, dockerCallTimeout)
	defer cancel()
	if st, err := c.d.api.inspect(ctx, c.id); err == nil {
		info.oom = st.oomKilled
		if waitErr != nil && !st.running {
			info.status = fmt.Sprintf("exit code %d", st.exitCode)
		}
	}
	if info.oom {
		info.status = "OOM killed, " + info.status
	}
	c.logger.Debug("container exited", "status", info.status)
	c.end(info)
}

// end publishes info and closes exited, once.
func (c *container) end(info exitInfo) {
	c.endOnce.Do(func() {
		c.info = info
		close(c.exited)
	})
}

func (c *container) done() <-chan struct{} { return c.exited }

func (c *container) output() *output { return c.out }

func (c *container) exit() exitInfo { return c.info }

func (c *container) memUsage() int64 { return c.mem.usage() }

func (c *container) oomKills() int64 { return c.mem.oomKills() }

// flushOutput gives output written just before a result the time to pass
// through the daemon; see settleMin.
func (c *container) flushOutput() {
	if isDone(c) {
		return
	}
	c.out.settle(settleMin, settleQuiet, flushLimit)
}

// stop force-removes the container on a context no request can cancel and
// waits for its goroutines. A container that is already gone counts as
// removed.
func (c *container) stop(ctx context.Context) error {
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
			c.end(exitInfo{status: "removed before it started", limit: c.limitMB})
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
