package lazyctx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Ctx is parent, ended also by Cancel and, when it has one, its deadline,
// as context.WithCancel or context.WithDeadline would make it. Err before
// Done was asked for is computed: Canceled after Cancel, the parent's
// error, or DeadlineExceeded once the deadline has passed. The first Done
// (or a child context, which asks for it) makes the real context
// underneath, which answers from then on, so Done and Err agree:
// WithDeadline of a deadline already passed is done at once.
type Ctx struct {
	parent      context.Context
	deadline    time.Time
	hasDeadline bool

	mu     sync.Mutex            // guards making inner and ending
	inner  atomic.Pointer[inner] // nil until the first Done
	ended  atomic.Bool           // Cancel was called; set after endErr
	endErr error                 // Err from Cancel on, written once before ended
}

// inner is the real context, made on the first Done.
type inner struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// WithCancel returns parent, ended also by Cancel, which must be called
// once the work it bounds is over.
func WithCancel(parent context.Context) *Ctx {
	return &Ctx{parent: parent}
}

// WithTimeout returns parent bounded by timeout from now; Cancel must be
// called once the work it bounds is over.
func WithTimeout(parent context.Context, timeout time.Duration) *Ctx {
	return &Ctx{parent: parent, deadline: time.Now().Add(timeout), hasDeadline: true}
}

func (c *Ctx) Deadline() (time.Time, bool) {
	d, ok := c.parent.Deadline()
	if c.hasDeadline && (!ok || c.deadline.Before(d)) {
		return c.deadline, true
	}
	return d, ok
}

func (c *Ctx) Done() <-chan struct{} {
	if in := c.inner.Load(); in != nil {
		return in.ctx.Done()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.inner.Load()
	if in == nil {
		in = &inner{}
		if c.hasDeadline {
			in.ctx, in.cancel = context.WithDeadline(c.parent, c.deadline)
		} else {
			in.ctx, in.cancel = context.WithCancel(c.parent)
		}
		if c.ended.Load() {
			in.cancel()
		}
		c.inner.Store(in)
	}
	return in.ctx.Done()
}

func (c *Ctx) Err() error {
	if in := c.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	if c.ended.Load() {
		return c.endErr
	}
	return c.errNow()
}

// errNow is Err of a context not cancelled: the parent's error, or
// DeadlineExceeded once the deadline has passed.
func (c *Ctx) errNow() error {
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.hasDeadline && !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *Ctx) Value(key any) any {
	// Once made, the inner context answers: a child's context.WithCancel
	// finds it as its parent cancelCtx (whose Done is ours) and registers
	// with it, rather than running a goroutine per child.
	if in := c.inner.Load(); in != nil {
		return in.ctx.Value(key)
	}
	return c.parent.Value(key)
}

func (c *Ctx) String() string { return "lazyctx.Ctx" }

// Cancel ends the context: its Done (made now or later) is closed and Err
// says Canceled, unless it had ended already, its deadline passing or its
// parent ending before (as a real context would have seen at that moment:
// a function timeout must stay DeadlineExceeded when cleanup cancels).
func (c *Ctx) Cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended.Load() {
		return
	}
	if in := c.inner.Load(); in != nil {
		in.cancel()
		c.endErr = in.ctx.Err()
	} else if c.endErr = c.errNow(); c.endErr == nil {
		c.endErr = context.Canceled
	}
	c.ended.Store(true)
}
