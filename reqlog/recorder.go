package reqlog

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/diff"
)

// Defaults of a Recorder.
const (
	// DefaultPerFunction is how many recent requests a function keeps.
	DefaultPerFunction = 100
	// BodyBytes is the most of a request body kept; a longer one is cut
	// and marked Truncated, and replay skips it.
	BodyBytes = 64 << 10
	// followBuffer is how many lines a slow follower may fall behind
	// before it misses some.
	followBuffer = 256
)

// Line is one recorded request: the JSON line `emulator logs --requests`
// and the access log write, and `emulator replay` reads (method, path
// without the stage, headers, body, host and stage).
type Line struct {
	Time      time.Time `json:"time"`
	Function  string    `json:"function"`
	Qualifier string    `json:"qualifier,omitempty"`
	diff.Request
	// Truncated says the body was cut at BodyBytes.
	Truncated bool `json:"truncated,omitempty"`
}

// Recorder keeps the last requests of each function. Record is on the
// gateway's path, so it stores what it is given without copying the
// headers (the caller hands them over) and redacts only when lines are
// read. It is safe for concurrent use.
type Recorder struct {
	keep   int
	redact diff.Redactor

	// mu guards rings and followers.
	mu        sync.Mutex
	rings     map[string]*ring
	followers map[*follower]struct{}
}

// ring is a function's recent requests, oldest first from next.
type ring struct {
	lines []Line
	next  int
}

// follower receives the lines of one function, or of all ("").
type follower struct {
	function string
	ch       chan Line
}

// New returns a recorder keeping perFunction requests of each function (0
// keeps none, but followers still get every line), masking the default
// credential headers and those of redact.
func New(perFunction int, redact diff.Redactor) *Recorder {
	return &Recorder{keep: max(perFunction, 0), redact: redact, rings: map[string]*ring{}, followers: map[*follower]struct{}{}}
}

// Record keeps one request routed to function's qualifier (the gateway's
// Recorder). req.Header becomes the recorder's: the caller must not change
// it afterwards. body, when not empty, is copied into req.Body, cut at
// BodyBytes.
func (r *Recorder) Record(at time.Time, function, qualifier string, req diff.Request, body []byte) {
	l := Line{Time: at, Function: function, Qualifier: qualifier, Request: req}
	if len(body) > 0 {
		l.Truncated = len(body) > BodyBytes
		l.Body = string(body[:min(len(body), BodyBytes)])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keep > 0 {
		rg := r.rings[l.Function]
		if rg == nil {
			rg = &ring{lines: make([]Line, 0, r.keep)}
			r.rings[l.Function] = rg
		}
		if len(rg.lines) < r.keep {
			rg.lines = append(rg.lines, l)
		} else {
			rg.lines[rg.next] = l
			rg.next = (rg.next + 1) % r.keep
		}
	}
	for f := range r.followers {
		if f.function != "" && f.function != l.Function {
			continue
		}
		select {
		case f.ch <- l:
		default: // a follower that falls behind misses lines, never blocks the gateway
		}
	}
}

// Query selects recorded requests.
type Query struct {
	Function string
	Since    time.Time // zero: all kept
	Limit    int       // the most recent Limit; 0: all kept
}

// Recent returns a function's recorded requests, oldest first, redacted.
func (r *Recorder) Recent(q Query) []Line {
	r.mu.Lock()
	var lines []Line
	if rg := r.rings[q.Function]; rg != nil {
		lines = append(slices.Clone(rg.lines[rg.next:]), rg.lines[:rg.next]...)
	}
	r.mu.Unlock()
	lines = slices.DeleteFunc(lines, func(l Line) bool { return l.Time.Before(q.Since) })
	if q.Limit > 0 && len(lines) > q.Limit {
		lines = lines[len(lines)-q.Limit:]
	}
	for i := range lines {
		lines[i] = r.Redact(lines[i])
	}
	return lines
}

// Follow returns the requests of function ("" for every function)
// recorded from now on, redacted, until ctx ends, when the channel is
// closed. A follower that does not keep up misses lines.
func (r *Recorder) Follow(ctx context.Context, function string) <-chan Line {
	f := &follower{function: function, ch: make(chan Line, followBuffer)}
	r.mu.Lock()
	r.followers[f] = struct{}{}
	r.mu.Unlock()
	out := make(chan Line)
	go func() {
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.followers, f)
			r.mu.Unlock()
		}()
		for {
			select {
			case l := <-f.ch:
				select {
				case out <- r.Redact(l):
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// Redact returns l with its credential headers masked, as diff examples
// are.
func (r *Recorder) Redact(l Line) Line {
	l.Header = r.redact.Header(l.Header)
	return l
}
