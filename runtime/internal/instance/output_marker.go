package instance

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// End-of-invocation markers make the attribution of output to invocations
// exact. A function writes its output before it posts its result, but the
// reader of its pipes (or the daemon's attach stream) may lag behind the
// result. So after the result, a marker line is written into stdout and into
// stderr behind the function's own output, and the invocation's log is
// complete once both markers have been read:
//
//   - the embedded Python and Node.js bootstraps write the markers
//     themselves, through the same stream objects as the user's code, before
//     they post the result (Node.js queues pipe writes, so only the process
//     itself can place a marker behind them);
//   - for code that cannot (CustomRuntime bootstraps, Go1 binaries) the
//     runtime writes them into the function's own pipes once the result has
//     arrived: the process runtime through its copy of the pipe's write end,
//     the docker runtime through /proc/<pid>/fd/{1,2} of the container's
//     process when the engine runs on this machine. Only where neither is
//     possible (a remote engine) does a short settle remain, as a fallback.
//
// A marker is markLead, a token random per instance, ':', 'o' or 'e' for
// the stream it was written to, the invocation's request id and '\n'. It is
// removed from the output wherever it appears, even mid-line.
const (
	markLead = "\x1escf-end:"
	// MarkEnv passes the marker prefix to the embedded bootstraps, which
	// remove it from the environment before user code loads.
	MarkEnv = "_SCF_LOG_MARK"
	// markIDMax bounds the request id of a marker: longer text after a
	// marker prefix is output, not a marker.
	markIDMax = 1024
	// MarkWait bounds the wait for markers, in case the code closed or
	// redirected its stdout or stderr. Markers arrive within milliseconds.
	MarkWait = 2 * time.Second
)

// Stream is where a piece of output came from.
type Stream int

const (
	StreamBoth   Stream = iota // one pipe for stdout and stderr (the process runtime)
	StreamStdout               // a container's stdout
	StreamStderr               // a container's stderr
	streamCount
)

// NewLogMark returns a fresh marker prefix.
func NewLogMark() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return markLead + hex.EncodeToString(b) + ":"
}

// markState is the marker side of an output; output.mu guards it.
type markState struct {
	prefix    []byte              // what every marker of this instance starts with
	selfMarks bool                // the code writes markers itself
	id        string              // the invocation being captured
	seen      [2]bool             // its markers on stdout and on stderr
	marked    chan struct{}       // closed when both were seen; nil when none is awaited
	held      [streamCount][]byte // per stream: bytes that may begin a marker
}

func newMarkState() markState { return markState{prefix: []byte(NewLogMark())} }

// begin awaits the markers of invocation id.
func (m *markState) begin(id string) {
	m.id, m.seen, m.marked = markID(id), [2]bool{}, make(chan struct{})
}

// markID is a request id as it comes back in a marker: the bootstraps read
// it from a header of /next, where line breaks become spaces and values are
// trimmed.
func markID(id string) string {
	return strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ").Replace(id))
}

// ended reports whether the current invocation's output on s is complete:
// a stream's output after its marker belongs to no invocation. The one pipe
// of a process carries both markers, the last of which ends it.
func (m *markState) ended(s Stream) bool {
	switch s {
	case StreamStdout:
		return m.seen[0]
	case StreamStderr:
		return m.seen[1]
	}
	return m.seen[0] && m.seen[1]
}

// saw records a marker's tag and request id.
func (m *markState) saw(rest []byte) {
	if len(rest) == 0 || string(rest[1:]) != m.id || m.marked == nil {
		return // an earlier invocation's, or not awaited
	}
	switch rest[0] {
	case 'o':
		m.seen[0] = true
	case 'e':
		m.seen[1] = true
	}
	if m.seen[0] && m.seen[1] {
		close(m.marked)
		m.marked = nil
	}
}

// scan splits p, the next bytes of stream s, into output, which it hands to
// emit, and markers, which it records after calling atMark. Bytes that may
// begin a marker are held back until the next write decides. mu must be
// held.
func (o *Output) scan(s Stream, p []byte, emit func([]byte), atMark func()) {
	m := &o.marks
	buf := p
	if len(m.held[s]) > 0 {
		buf = append(m.held[s], p...)
		m.held[s] = nil
	}
	for len(buf) > 0 {
		i := bytes.Index(buf, m.prefix)
		if i < 0 {
			keep := prefixSuffix(buf, m.prefix)
			emit(buf[:len(buf)-keep])
			if keep > 0 {
				m.held[s] = append([]byte(nil), buf[len(buf)-keep:]...)
			}
			return
		}
		emit(buf[:i])
		rest := buf[i+len(m.prefix):]
		nl := bytes.IndexByte(rest, '\n')
		switch {
		case nl >= 0 && nl <= markIDMax+1:
			atMark()
			m.saw(rest[:nl])
			buf = rest[nl+1:]
		case nl < 0 && len(rest) <= markIDMax+1:
			m.held[s] = append([]byte(nil), buf[i:]...)
			return
		default: // too long to be a marker: output
			emit(buf[i : i+len(m.prefix)])
			buf = rest
		}
	}
}

// prefixSuffix returns the length of the longest end of b that is a proper
// beginning of prefix.
func prefixSuffix(b, prefix []byte) int {
	from := max(len(b)-len(prefix)+1, 0)
	i := bytes.IndexByte(b[from:], prefix[0])
	for i >= 0 {
		if tail := b[from+i:]; bytes.HasPrefix(prefix, tail) {
			return len(tail)
		}
		from += i + 1
		i = bytes.IndexByte(b[from:], prefix[0])
	}
	return 0
}

// codeMarks makes mark, which the code was given in markEnv, the marker
// prefix: the code writes its markers itself.
func (o *Output) codeMarks(mark string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.marks.prefix, o.marks.selfMarks = []byte(mark), true
}

// SelfMarked reports whether the code writes its markers itself.
func (o *Output) SelfMarked() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.marks.selfMarks
}

// Marker is the marker line of invocation id for stream tag ('o' or 'e').
func (o *Output) Marker(tag byte, id string) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := append([]byte(nil), o.marks.prefix...)
	b = append(b, tag)
	b = append(b, markID(id)...)
	return append(b, '\n')
}

// WaitMarks waits until both markers of the invocation being captured have
// been read, at most MarkWait, or until gone is closed (the code exited and
// its output is drained). It reports false when it gave up.
func (o *Output) WaitMarks(gone <-chan struct{}) bool {
	o.mu.Lock()
	ch := o.marks.marked
	o.mu.Unlock()
	if ch == nil {
		return true
	}
	t := time.NewTimer(MarkWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-gone:
		return true
	case <-t.C:
		o.logger.Warn("function output end markers did not arrive; the invocation's log may be incomplete (did the code close or redirect stdout or stderr?)", "after", MarkWait)
		return false
	}
}
