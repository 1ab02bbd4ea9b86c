package logstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

const fileExt = ".jsonl"

// disk is the on-disk side: one append-only JSON-lines file per function,
// rewritten to its newest half when it would outgrow max. Only the writer
// goroutine uses it after load.
type disk struct {
	dir   string
	max   int64
	log   *slog.Logger
	files map[fnKey]*fnFile
	buf   map[fnKey]*bytes.Buffer // per-batch encoding buffers, reused
	line  []byte                  // one encoded record, reused
}

// fnFile is one open function file and its current size.
type fnFile struct {
	path string
	f    *os.File
	size int64
}

func openDisk(dir string, max int64, log *slog.Logger) (*disk, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	// Temp files of a rotation interrupted by a crash are garbage: the
	// rename never happened, so the original file is intact.
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(tmps) > 0 {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}
	return &disk{dir: dir, max: max, log: log, files: make(map[fnKey]*fnFile), buf: make(map[fnKey]*bytes.Buffer)}, nil
}

// fileName maps a function to a file name that is safe on every platform and
// cannot collide: bytes outside [A-Za-z0-9_-] are %-escaped, and "." only
// separates namespace from function.
func fileName(k fnKey) string {
	return escape(k.namespace) + "." + escape(k.function) + fileExt
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// load reads the newest records of every function file (its last d.max
// bytes), oldest first per file. A record written twice (Running, then finished) keeps its last form.
// Lines that do not parse, such as a last line cut by a crash, are skipped.
func (d *disk) load() ([]Record, error) {
	paths, err := filepath.Glob(filepath.Join(d.dir, "*"+fileExt))
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	var out []Record
	for _, p := range paths {
		recs, skipped, err := readTail(p, d.max)
		if err != nil {
			return nil, err
		}
		if skipped > 0 {
			d.log.Warn("skipped unreadable log lines", "file", p, "lines", skipped)
		}
		out = append(out, recs...)
	}
	return out, nil
}

func readTail(path string, limit int64) (recs []Record, skipped int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open log file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("stat log file: %w", err)
	}
	off := max(st.Size()-limit, 0)
	data := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(data, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("read log file %s: %w", path, err)
	}
	if off > 0 { // started mid-line: drop the fragment
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		} else {
			data = nil
		}
	}
	index := make(map[string]int)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if json.Unmarshal(line, &r) != nil || r.RequestID == "" || r.Function == "" {
			skipped++
			continue
		}
		if r.Namespace == "" {
			r.Namespace = "default"
		}
		if i, ok := index[r.RequestID]; ok {
			recs[i] = r
			continue
		}
		index[r.RequestID] = len(recs)
		recs = append(recs, r)
	}
	return recs, skipped, nil
}

// chunkBytes is how much of one function's encoded batch is buffered before
// it is written, so a large batch never needs a large buffer.
const chunkBytes = 64 << 10

// write appends a batch, in a few large writes per function file. Errors are
// logged, not returned: the records remain queryable in memory.
func (d *disk) write(batch []Record) {
	for i := range batch {
		k := fnKey{batch[i].Namespace, batch[i].Function}
		b := d.buf[k]
		if b == nil {
			b = bytes.NewBuffer(make([]byte, 0, chunkBytes))
			d.buf[k] = b
		}
		d.line = appendJSON(d.line[:0], &batch[i])
		d.line = append(d.line, '\n')
		b.Write(d.line)
		if b.Len() >= chunkBytes {
			d.flushChunk(k, b)
		}
	}
	for k, b := range d.buf {
		if b.Len() > 0 {
			d.flushChunk(k, b)
		}
	}
	if cap(d.line) > chunkBytes { // do not keep one flooded record's buffer around
		d.line = nil
	}
}

func (d *disk) flushChunk(k fnKey, b *bytes.Buffer) {
	if err := d.append(k, b.Bytes()); err != nil {
		d.log.Error("write log file", "function", k.function, "namespace", k.namespace, "err", err)
	}
	b.Reset()
}

func (d *disk) append(k fnKey, data []byte) error {
	ff, err := d.file(k)
	if err != nil {
		return err
	}
	if ff.size+int64(len(data)) > d.max {
		err = d.rotate(ff, data)
	} else {
		var n int
		n, err = ff.f.Write(data)
		ff.size += int64(n)
	}
	if err != nil { // reopen next time rather than trust the handle or size
		ff.f.Close()
		delete(d.files, k)
	}
	return err
}

// file opens k's file for appending. A file whose last line was cut by a
// crash gets a newline first, so the fragment stays one skippable line
// instead of corrupting the next record.
func (d *disk) file(k fnKey) (*fnFile, error) {
	if ff := d.files[k]; ff != nil {
		return ff, nil
	}
	ff := &fnFile{path: filepath.Join(d.dir, fileName(k))}
	if err := ff.open(); err != nil {
		return nil, err
	}
	if ff.size > 0 {
		last := make([]byte, 1)
		if _, err := ff.f.ReadAt(last, ff.size-1); err == nil && last[0] != '\n' {
			n, _ := ff.f.Write([]byte{'\n'})
			ff.size += int64(n)
		}
	}
	d.files[k] = ff
	return ff, nil
}

func (ff *fnFile) open() error {
	f, err := os.OpenFile(ff.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	ff.f, ff.size = f, st.Size()
	return nil
}

// rotate rewrites ff as the newest whole lines of (file + data) that fit in
// half the bound, through a temp file and a rename so a crash leaves either
// the old file or the new one.
func (d *disk) rotate(ff *fnFile, data []byte) error {
	half := d.max / 2
	var combined []byte
	if need := half - int64(len(data)); need > 0 {
		off := max(ff.size-need, 0)
		combined = make([]byte, ff.size-off, ff.size-off+int64(len(data)))
		if _, err := ff.f.ReadAt(combined, off); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read for rotation: %w", err)
		}
		if off > 0 {
			// The byte before off decides whether combined starts on a line.
			prev := make([]byte, 1)
			if _, err := ff.f.ReadAt(prev, off-1); err != nil || prev[0] != '\n' {
				combined = dropFragment(combined)
			}
		}
	}
	combined = append(combined, data...)
	keep := newestLines(combined, half)
	if len(keep) == 0 && len(data) > 0 {
		d.log.Warn("log record larger than half the file bound not written", "file", ff.path, "bytes", len(data))
	}
	tmp, err := os.CreateTemp(d.dir, "."+filepath.Base(ff.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	_, werr := tmp.Write(keep)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rotate: %w", err)
	}
	ff.f.Close()
	if err := os.Rename(tmp.Name(), ff.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rotate: %w", err) // append drops ff; the next write reopens
	}
	return ff.open()
}

// newestLines returns the longest suffix of b made of whole lines and at most
// limit bytes long.
func newestLines(b []byte, limit int64) []byte {
	if int64(len(b)) <= limit {
		return b
	}
	cut := int64(len(b)) - limit
	if b[cut-1] == '\n' {
		return b[cut:]
	}
	return dropFragment(b[cut:])
}

// dropFragment drops everything up to and including the first newline.
func dropFragment(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return nil
}

func (d *disk) close() error {
	var errs []error
	for _, ff := range d.files {
		if err := ff.f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	d.files = nil
	return errors.Join(errs...)
}
