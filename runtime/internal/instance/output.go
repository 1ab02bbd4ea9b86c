package instance

import (
	"bytes"
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
// Timing shared by the runners.
const (
	// DrainGrace is how long a runner's output may stay open after its main
	// process exited (a child that escaped the process group holds it).
	DrainGrace = time.Second
	// FlushLimit bounds the Settle fallback of a runner's FlushOutput.
	FlushLimit = 200 * time.Millisecond
)

const (
	outputRingSize   = 4 << 10  // recent output, for start and exit failures
	outputTailSize   = 2 << 10  // how much of the ring an error message quotes
	InvocationLogMax = 64 << 10 // per-invocation Result.Log
	logLineMax       = 4 << 10  // a debug log line longer than this is split
)

// Output collects what a function process writes to stdout and stderr. One
// goroutine per stream feeds it through write; Invoke reads through capture
// methods. End-of-invocation markers (see output_marker.go) in the streams
// end an invocation's capture exactly and are never recorded.
type Output struct {
	logger *slog.Logger

	// last is when write last ran (UnixNano), for settle.
	last atomic.Int64

	mu        sync.Mutex          // guards every field below
	ring      []byte              // last outputRingSize bytes
	written   int64               // bytes ever appended to ring
	since     int64               // written when the latest invocation's capture began: Tail quotes no earlier output
	capturing bool                // an invocation (or the start-up) is collecting
	log       []byte              // captured bytes, at most InvocationLogMax
	dropped   int64               // captured bytes beyond InvocationLogMax
	partial   [streamCount][]byte // unterminated last line per stream, for debug logging
	line      [streamCount][]byte // unterminated last line of a container's stdout or stderr
	marks     markState           // end-of-invocation markers: what to look for, what was seen
}

func NewOutput(logger *slog.Logger) *Output {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Capturing from the start keeps the start-up output for the first
	// invocation's log.
	return &Output{logger: logger, ring: make([]byte, 0, outputRingSize), capturing: true, marks: newMarkState()}
}

// Write records p, which the drain goroutine of stream s has just read.
// Markers are taken out and act on the capture; the rest is output.
func (o *Output) Write(s Stream, p []byte) {
	o.last.Store(time.Now().UnixNano())
	debug := o.logger.Enabled(context.Background(), slog.LevelDebug)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scan(s, p, func(b []byte) { o.lines(s, b, debug) }, func() { o.endLine(s, debug) })
}

// lines records b, output of stream s, by whole lines when s is one of a
// container's streams: they arrive apart, and a line of one should not be
// cut by a line of the other. mu must be held.
func (o *Output) lines(s Stream, b []byte, debug bool) {
	if s == StreamBoth {
		o.record(s, b, debug)
		return
	}
	o.line[s] = append(o.line[s], b...)
	cut := bytes.LastIndexByte(o.line[s], '\n') + 1
	if len(o.line[s])-cut >= logLineMax {
		cut = len(o.line[s])
	}
	o.record(s, o.line[s][:cut], debug)
	o.line[s] = append(o.line[s][:0], o.line[s][cut:]...)
}

// endLine records the unterminated last line of stream s, at an end
// marker (it belongs to the invocation that ends) or when the output is
// read. mu must be held.
func (o *Output) endLine(s Stream, debug bool) {
	if len(o.line[s]) > 0 {
		o.record(s, o.line[s], debug)
		o.line[s] = o.line[s][:0]
	}
}

// endLines is endLine for both of a container's streams.
func (o *Output) endLines() {
	debug := o.logger.Enabled(context.Background(), slog.LevelDebug)
	o.endLine(StreamStdout, debug)
	o.endLine(StreamStderr, debug)
}

// record keeps b, output of stream s; mu must be held.
func (o *Output) record(s Stream, b []byte, debug bool) {
	if len(b) == 0 {
		return
	}
	o.appendRing(b)
	if o.capturing && !o.marks.ended(s) {
		room := InvocationLogMax - len(o.log)
		if room >= len(b) {
			o.log = append(o.log, b...)
		} else {
			o.log = append(o.log, b[:max(room, 0)]...)
			o.dropped += int64(len(b) - max(room, 0))
		}
	}
	if debug {
		o.logLines(s, b)
	}
}

func (o *Output) appendRing(p []byte) {
	o.written += int64(len(p))
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

// logLines sends complete lines of stream s to the debug log; mu must be
// held.
func (o *Output) logLines(s Stream, p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			o.partial[s] = append(o.partial[s], p...)
			if len(o.partial[s]) >= logLineMax {
				o.logger.Debug("function output", "line", string(o.partial[s]))
				o.partial[s] = o.partial[s][:0]
			}
			return
		}
		o.partial[s] = append(o.partial[s], p[:i]...)
		o.logger.Debug("function output", "line", string(o.partial[s]))
		o.partial[s] = o.partial[s][:0]
		p = p[i+1:]
	}
}

// Tail returns up to outputTailSize of the most recent output since the
// latest invocation began (or since the start, before the first), starting
// at a character boundary. Errors quote it to the invocation's caller, who
// must not read what earlier invocations printed.
func (o *Output) Tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.endLines()
	b := o.ring
	if n := o.written - o.since; int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	if len(b) > outputTailSize {
		b = b[len(b)-outputTailSize:]
	}
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return strings.TrimSpace(string(b))
}

// startCapture begins collecting output for invocation id, whose end
// markers end the capture of each stream. Output of the start-up is
// captured from newOutput on and so lands in the first invocation's log, as
// on the platform.
func (o *Output) startCapture(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.capturing = true
	o.since = o.written
	o.marks.begin(id)
}

// takeCapture ends the capture and returns the collected output, with a
// note of how much was dropped.
func (o *Output) takeCapture() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.endLines()
	s := string(o.log)
	if o.dropped > 0 {
		s += fmt.Sprintf("\n... %d bytes dropped\n", o.dropped)
	}
	o.capturing = false
	o.log = o.log[:0]
	o.dropped = 0
	return s
}

// Settle is the fallback for a source that cannot be marked (a container
// of a remote engine running code that writes no markers of its own): it
// waits minWait for bytes already written to arrive, then until no output
// came for quiet, at most limit in all. Output that arrives later misses the
// invocation's log.
func (o *Output) Settle(minWait, quiet, limit time.Duration) {
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

// OutputWriter feeds Out, as written to Stream, from a goroutine that
// copies one stream (a container's stdout or stderr).
type OutputWriter struct {
	Out    *Output
	Stream Stream
}

func (w OutputWriter) Write(p []byte) (int, error) {
	w.Out.Write(w.Stream, p)
	return len(p), nil
}
