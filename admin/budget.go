package admin

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// budget is a shared byte budget for request bodies being read: the
// handlers buffer whole bodies, so without it N concurrent uploads hold N
// times the largest body in memory.
type budget struct {
	mu    sync.Mutex // guards inUse
	inUse int64
	total int64
	max   int64 // one body at most
}

// reserve takes n bytes for r's body (the declared length, or the largest
// body for a chunked one) and returns the function that gives them back.
func (b *budget) reserve(r *http.Request) (release func(), err error) {
	n := r.ContentLength
	if r.Body == nil || r.Body == http.NoBody || n == 0 {
		return func() {}, nil
	}
	if n < 0 {
		n = b.max
	}
	if n > b.max {
		return nil, fmt.Errorf("%w: %d bytes; no admin endpoint takes more than %d", ErrTooLarge, n, b.max)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inUse+n > b.total {
		return nil, fmt.Errorf("%w: %d of %d bytes are held by bodies being read; retry shortly", ErrBusy, b.inUse, b.total)
	}
	b.inUse += n
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.inUse -= n
			b.mu.Unlock()
		})
	}, nil
}

func (b *budget) used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse
}

// deadlineBody bounds the time a body may take to arrive, so a stalled
// upload cannot hold its share of the budget forever. The deadline is
// cleared once the body has been read: net/http then reads the connection
// in the background to notice a client going away, and a deadline firing
// there would cancel a long call (a synchronous Invoke) for nothing.
type deadlineBody struct {
	body interface {
		Read([]byte) (int, error)
		Close() error
	}
	rc   *http.ResponseController
	done bool
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	if err != nil && !d.done {
		d.done = true
		_ = d.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

func (d *deadlineBody) Close() error { return d.body.Close() }
