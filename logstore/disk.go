package logstore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

const (
	fileExt = ".jsonl"
	// prevExt names a function's previous segment, <name>.jsonl.1 beside
	// the current <name>.jsonl: not a *.jsonl name, so an older emulator,
	// which reads every *.jsonl file as a function's log, skips it after
	// a downgrade rather than load it a second time and never remove it.
	prevExt = fileExt + ".1"
	// legacyPrevExt named the previous segment before (<name>.1.jsonl);
	// openDisk renames such files. Escaped names hold no ".", so only a
	// name with three dots is one: B.1.jsonl is function 1 of namespace B.
	legacyPrevExt = ".1" + fileExt
)

// disk is the on-disk side: two append-only JSON-lines segments per
// function, each at most half of max. When the current one would pass
// half, it is renamed over the previous one and a new current one starts:
// a rotation copies nothing. Only the writer goroutine uses it after load.
type disk struct {
	dir   string
	max   int64
	log   *slog.Logger
	files map[fnKey]*fnFile
	buf   map[fnKey]*[]byte // per-function chunks of encoded lines, reused
}

// fnFile is one function's open current segment and its size.
type fnFile struct {
	path, prev string // the current and previous segments
	f          *os.File
	size       int64
}

func openDisk(dir string, max int64, log *slog.Logger) (*disk, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	// Temp files of a shrink interrupted by a crash are garbage: the
	// rename never happened, so the original file is intact.
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(tmps) > 0 {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}
	if err := migratePrev(dir, log); err != nil {
		return nil, err
	}
	return &disk{dir: dir, max: max, log: log, files: make(map[fnKey]*fnFile), buf: make(map[fnKey]*[]byte)}, nil
}

// migratePrev renames the previous segments named <name>.1.jsonl, as an
// earlier version named them, to <name>.jsonl.1. When both exist (that
// version rotated after this one had run), the newer file is kept: it
// holds the records just before the current segment's.
func migratePrev(dir string, log *slog.Logger) error {
	olds, err := filepath.Glob(filepath.Join(dir, "*"+legacyPrevExt))
	if err != nil {
		return fmt.Errorf("list log files: %w", err)
	}
	for _, old := range olds {
		if strings.Count(filepath.Base(old), ".") != 3 {
			continue // a current segment: function 1 of some namespace
		}
		to := strings.TrimSuffix(old, legacyPrevExt) + prevExt
		if newer, err := newerThan(to, old); err != nil {
			return err
		} else if newer {
			if err := os.Remove(old); err != nil {
				return fmt.Errorf("migrate log files: %w", err)
			}
			continue
		}
		if err := os.Rename(old, to); err != nil {
			return fmt.Errorf("migrate log files: %w", err)
		}
		log.Info("log segment renamed to the current naming", "from", filepath.Base(old), "to", filepath.Base(to))
	}
	return nil
}

// newerThan reports whether file a exists and was modified after b.
func newerThan(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate log files: %w", err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, fmt.Errorf("migrate log files: %w", err)
	}
	return sa.ModTime().After(sb.ModTime()), nil
}

// fileName maps a function to the name of its current segment, safe on
// every platform and collision-free: bytes outside [A-Za-z0-9_-] are
// %-escaped, and "." only separates namespace from function.
func fileName(k fnKey) string { return baseName(k) + fileExt }

// prevFileName is the name of k's previous segment.
func prevFileName(k fnKey) string { return baseName(k) + prevExt }

func baseName(k fnKey) string { return escape(k.namespace) + "." + escape(k.function) }

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

// chunkBytes is how much of one function's encoded batch is buffered before
// it is written, so a large batch never needs a large buffer.
const chunkBytes = 64 << 10

// write appends a batch, in a few large writes per function file, each
// record encoded straight into its function's chunk. Errors are logged, not
// returned: the records remain queryable in memory.
func (d *disk) write(batch []Record) {
	for i := range batch {
		k := fnKey{batch[i].Namespace, batch[i].Function}
		c := d.buf[k]
		if c == nil {
			b := make([]byte, 0, chunkBytes)
			c = &b
			d.buf[k] = c
		}
		*c = append(appendJSON(*c, &batch[i]), '\n')
		if len(*c) >= chunkBytes {
			d.flushChunk(k, c)
		}
	}
	for k, c := range d.buf {
		if len(*c) > 0 {
			d.flushChunk(k, c)
		}
	}
}

func (d *disk) flushChunk(k fnKey, c *[]byte) {
	if err := d.append(k, *c); err != nil {
		d.log.Error("write log file", "function", k.function, "namespace", k.namespace, "err", err)
	}
	*c = (*c)[:0]
	if cap(*c) > 2*chunkBytes { // do not keep one flooded record's room around
		*c = make([]byte, 0, chunkBytes)
	}
}

// append writes data, whole lines, to k's current segment, rotating
// before a line that would take it past half the bound, so the two
// segments together never exceed it.
func (d *disk) append(k fnKey, data []byte) error {
	ff, err := d.file(k)
	if err != nil {
		return err
	}
	half := d.max / 2
	for err == nil && len(data) > 0 {
		n := int64(len(data))
		if room := half - ff.size; n > room {
			n = int64(bytes.LastIndexByte(data[:max(room, 0)], '\n') + 1) // the whole lines that fit
		}
		switch {
		case n > 0:
			var w int
			w, err = ff.f.Write(data[:n])
			ff.size += int64(w)
			data = data[n:]
		case ff.size > 0:
			err = d.rotate(ff)
		default: // a line longer than half the bound never fits
			n = int64(bytes.IndexByte(data, '\n') + 1)
			if n == 0 {
				n = int64(len(data))
			}
			d.log.Warn("log record larger than half the file bound not written", "file", ff.path, "bytes", n)
			data = data[n:]
		}
	}
	if err != nil { // reopen next time rather than trust the handle or size
		ff.f.Close()
		delete(d.files, k)
	}
	return err
}

// file opens k's current segment for appending. A segment whose last line
// was cut by a crash gets a newline first, so the fragment stays one
// skippable line instead of corrupting the next record.
func (d *disk) file(k fnKey) (*fnFile, error) {
	if ff := d.files[k]; ff != nil {
		return ff, nil
	}
	ff := &fnFile{path: filepath.Join(d.dir, fileName(k)), prev: filepath.Join(d.dir, prevFileName(k))}
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

// rotate makes the current segment the previous one, replacing it, and
// starts an empty current one. The rename is the commit point: a kill
// before it leaves the old pair, after it the new previous segment alone
// until the next write creates the current one. load reads every one of
// these states as the newest records within the bound.
func (d *disk) rotate(ff *fnFile) error {
	if ff.size > d.max/2 { // a file from before segments, or from a larger bound
		if err := d.shrink(ff); err != nil {
			return err
		}
	}
	ff.f.Close()
	if err := os.Rename(ff.path, ff.prev); err != nil {
		return fmt.Errorf("rotate: %w", err) // append drops ff; the next write reopens
	}
	return ff.open()
}

// shrink rewrites ff as its newest whole lines within half the bound,
// through a temp file and a rename so a crash leaves either the old file or
// the new one. Only a segment larger than half the bound needs it: the
// single file of an earlier version, or one written under a larger bound.
func (d *disk) shrink(ff *fnFile) error {
	half := d.max / 2
	// One byte more than half: the byte before the cut says whether the
	// kept part starts on a line.
	tail := make([]byte, half+1)
	if _, err := ff.f.ReadAt(tail, ff.size-half-1); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read for rotation: %w", err)
	}
	keep := newestLines(tail, half)
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
		return fmt.Errorf("rotate: %w", err)
	}
	return ff.open()
}

// remove closes and deletes k's segments.
func (d *disk) remove(k fnKey) error {
	if ff := d.files[k]; ff != nil {
		ff.f.Close()
		delete(d.files, k)
	}
	delete(d.buf, k)
	return RemoveFiles(d.dir, k.namespace, k.function)
}

// RemoveFiles deletes the log files of function (as in Record.Function) in
// namespace ("" is default) from dir, the Dir of a Store that is not open:
// `emulator gc --parked` with the emulator stopped. Missing files are fine.
// The previous segment goes first (under either name: a folder no store
// has opened since the naming changed has the older one): a kill in
// between leaves the newest records, which load reads like any other state.
func RemoveFiles(dir, namespace, function string) error {
	k := fnKey{cmp.Or(namespace, "default"), function}
	var errs []error
	for _, name := range []string{baseName(k) + legacyPrevExt, prevFileName(k), fileName(k)} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove log files: %w", err)
	}
	return nil
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
