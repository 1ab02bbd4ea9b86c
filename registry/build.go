package registry

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// buildTailBytes is how much of a failed build's output the error carries.
const buildTailBytes = 2048

// runBuild runs command with sh in src and reports the files it wrote or
// changed, judged by size and mtime before and after.
func (r *Registry) runBuild(ctx context.Context, name, src, command string) ([]string, error) {
	before, err := r.store.stats(src)
	if err != nil {
		return nil, err
	}
	bctx, cancel := context.WithTimeout(ctx, r.buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, "sh", "-c", command)
	cmd.Dir = src
	out := &tailBuffer{max: buildTailBytes}
	cmd.Stdout, cmd.Stderr = out, out
	// A grandchild that keeps the pipes open must not hang the build past
	// its deadline.
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)

	start := time.Now()
	err = cmd.Run()
	if err != nil {
		reason := err.Error()
		if errors.Is(bctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			reason = fmt.Sprintf("timed out after %s", r.buildTimeout)
		} else if ctx.Err() != nil {
			reason = ctx.Err().Error()
		}
		tail := strings.TrimRight(out.String(), "\n")
		r.log.Warn("build failed", "function", name, "command", command, "err", reason)
		if tail == "" {
			return nil, fmt.Errorf("%w: %q in %s: %s", ErrBuildFailed, command, src, reason)
		}
		return nil, fmt.Errorf("%w: %q in %s: %s; output:\n%s", ErrBuildFailed, command, src, reason, tail)
	}
	r.log.Debug("build finished", "function", name, "duration", time.Since(start))

	after, err := r.store.stats(src)
	if err != nil {
		return nil, err
	}
	var outputs []string
	for p, st := range after {
		if old, ok := before[p]; !ok || old != st {
			outputs = append(outputs, p)
		}
	}
	slices.Sort(outputs)
	return outputs, nil
}

// tailBuffer keeps the last max bytes written to it. exec.Cmd writes to it
// from one goroutine at a time because Stdout and Stderr are the same value.
type tailBuffer struct {
	max int
	buf []byte
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.cut = true
	}
	return n, nil
}

func (b *tailBuffer) String() string {
	if b.cut {
		return "..." + string(b.buf)
	}
	return string(b.buf)
}
