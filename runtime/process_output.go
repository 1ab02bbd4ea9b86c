package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Output bounds. A function may write without limit; the emulator keeps only
// this much, so a flood costs CPU to drain but never memory.
const (
	outputRingSize   = 4 << 10  // recent output, for start and exit failures
	outputTailSize   = 2 << 10  // how much of the ring an error message quotes
	invocationLogMax = 64 << 10 // per-invocation Result.Log
	logLineMax       = 4 << 10  // a debug log line longer than this is split
)

// output collects what a function process writes to stdout and stderr. One
// goroutine feeds it through write; Invoke reads through capture methods.
type output struct {
	logger *slog.Logger

	// read counts bytes taken from the pipe, before write runs for them. It
	// lets flush see that the drain goroutine is between read and write.
	read atomic.Int64
	// last is when write last ran (UnixNano), for settle.
	last atomic.Int64

	mu        sync.Mutex // guards every field below
	ring      []byte     // last outputRingSize bytes
	capturing bool       // an invocation (or the start-up) is collecting
	log       []byte     // captured bytes, at most invocationLogMax
	dropped   int64      // captured bytes beyond invocationLogMax
	processed int64      // bytes passed to write
	partial   []byte     // unterminated last line, for debug logging
}

func newOutput(logger *slog.Logger) *output {
	// Capturing from the start keeps the start-up output for the first
	// invocation's log.
	return &output{logger: logger, ring: make([]byte, 0, outputRingSize), capturing: true}
}

// write records p, which the drain goroutine has just read.
func (o *output) write(p []byte) {
	o.last.Store(time.Now().UnixNano())
	debug := o.logger.Enabled(context.Background(), slog.LevelDebug)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.processed += int64(len(p))
	o.appendRing(p)
	if o.capturing {
		room := invocationLogMax - len(o.log)
		if room >= len(p) {
			o.log = append(o.log, p...)
		} else {
			o.log = append(o.log, p[:max(room, 0)]...)
			o.dropped += int64(len(p) - max(room, 0))
		}
	}
	if debug {
		o.logLines(p)
	}
}

func (o *output) appendRing(p []byte) {
	if len(p) >= outputRingSize {
		o.ring = append(o.ring[:0], p[len(p)-outputRingSize:]...)
		return
	}
	if over := len(o.ring) + len(p) - outputRingSize; over > 0 {
		n := copy(o.ring, o.ring[over:])
		o.ring = o.ring[:n]
	}
	o.ring = append(o.ring, p...)
}

// logLines sends complete lines to the debug log; mu must be held.
func (o *output) logLines(p []byte) {
	for len(p) > 0 {
		i := strings.IndexByte(string(p), '\n')
		if i < 0 {
			o.partial = append(o.partial, p...)
			if len(o.partial) >= logLineMax {
				o.logger.Debug("function output", "line", string(o.partial))
				o.partial = o.partial[:0]
			}
			return
		}
		o.partial = append(o.partial, p[:i]...)
		o.logger.Debug("function output", "line", string(o.partial))
		o.partial = o.partial[:0]
		p = p[i+1:]
	}
}

// tail returns up to outputTailSize of the most recent output, starting at a
// character boundary.
func (o *output) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.ring
	if len(b) > outputTailSize {
		b = b[len(b)-outputTailSize:]
	}
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return strings.TrimSpace(string(b))
}

// startCapture begins collecting output for a new Result.Log. Output of the
// start-up is captured from newOutput on and so lands in the first
// invocation's log, as on the platform.
func (o *output) startCapture() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.capturing = true
}

// takeCapture ends the capture and returns the collected output, with a
// note of how much was dropped.
func (o *output) takeCapture() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := string(o.log)
	if o.dropped > 0 {
		s += fmt.Sprintf("\n... %d bytes dropped\n", o.dropped)
	}
	o.capturing = false
	o.log = o.log[:0]
	o.dropped = 0
	return s
}

// flush waits, for at most limit, until everything the process wrote before
// now has passed through write. pending reports the bytes still in the pipe
// (-1 when the platform cannot tell). The process writes its output before
// it posts its result, so after flush the invocation's log is complete.
//
// The drain goroutine may be between its read and write calls, a state that
// neither counter shows, so quiet must be seen twice in a row.
func (o *output) flush(pending func() int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	quiet := 0
	for quiet < 2 && time.Now().Before(deadline) {
		n := pending()
		if n < 0 {
			time.Sleep(min(limit, 20*time.Millisecond)) // best effort without FIONREAD
			return
		}
		o.mu.Lock()
		done := n == 0 && o.processed == o.read.Load()
		o.mu.Unlock()
		if done {
			quiet++
		} else {
			quiet = 0
		}
		if quiet < 2 {
			// Only needs to outlast the drain goroutine's step from read()
			// returning to counting the bytes: microseconds, not a scheduler tick.
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// settle is flush for a source that cannot tell what is still in transit (a
// container's attach stream): it waits minWait for bytes already written to
// arrive, then until no output came for quiet, at most limit in all.
func (o *output) settle(minWait, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	time.Sleep(minWait)
	for {
		now := time.Now()
		idle := now.Sub(time.Unix(0, o.last.Load()))
		if idle >= quiet || !now.Before(deadline) {
			return
		}
		time.Sleep(min(quiet-idle, deadline.Sub(now)))
	}
}

// outputWriter feeds an output from a goroutine that copies a stream.
type outputWriter struct{ o *output }

func (w outputWriter) Write(p []byte) (int, error) {
	w.o.read.Add(int64(len(p)))
	w.o.write(p)
	return len(p), nil
}
