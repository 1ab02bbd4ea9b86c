package process

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// cgFiles keeps an instance cgroup's peak-memory and events files open, so
// the two readings every invocation takes (the OOM kill counter, the peak,
// then its reset) are a pread or pwrite each instead of an open, a read and
// a close. cgroup files give fresh values on every read at offset 0.
type cgFiles struct {
	mu     sync.Mutex // guards the fields below
	opened bool       // open was tried; peak and events stay nil on failure
	closed bool       // close was called: no more opens
	peak   *os.File   // memory.peak (v2) or memory.max_usage_in_bytes (v1)
	events *os.File   // memory.events (v2) or memory.oom_control (v1)
	buf    [512]byte
}

// openLocked opens the files of the cgroup dir once.
func (f *cgFiles) openLocked(dir, version string) {
	if f.opened || f.closed {
		return
	}
	f.opened = true
	peak, events := "memory.max_usage_in_bytes", "memory.oom_control"
	if version == "v2" {
		peak, events = "memory.peak", "memory.events"
	}
	var err error
	// Writing resets the peak: a kernel where it cannot be reset (v2
	// before 6.12) gives the file no write permission.
	if f.peak, err = os.OpenFile(filepath.Join(dir, peak), os.O_RDWR, 0); err != nil {
		f.peak, _ = os.Open(filepath.Join(dir, peak))
	}
	f.events, _ = os.Open(filepath.Join(dir, events))
}

// readLocked reads file from offset 0 into f.buf.
func (f *cgFiles) readLocked(file *os.File) ([]byte, bool) {
	n, err := file.ReadAt(f.buf[:], 0)
	if n == 0 || n == len(f.buf) && err == nil {
		return nil, false // unreadable, or more than the buffer holds
	}
	return f.buf[:n], true
}

// takePeak returns the peak memory since the previous call and starts a
// new period; ok is false when the file cannot be read.
func (f *cgFiles) takePeak(dir, version string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openLocked(dir, version)
	if f.peak == nil {
		return 0, false
	}
	b, ok := f.readLocked(f.peak)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0, false
	}
	_, _ = f.peak.WriteAt([]byte("0"), 0) // v1 resets on "0"; v2 (6.12+) on any write, for this descriptor
	return n, true
}

// oomKills returns the cgroup's OOM kill counter, -1 when unknown.
func (f *cgFiles) oomKills(dir, version string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openLocked(dir, version)
	if f.events == nil {
		return -1
	}
	b, ok := f.readLocked(f.events)
	if !ok {
		return -1
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if v, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("oom_kill ")); ok {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// close closes the files; later calls find none.
func (f *cgFiles) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, file := range []*os.File{f.peak, f.events} {
		if file != nil {
			file.Close()
		}
	}
	f.peak, f.events = nil, nil
}
