package codezip

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The platform's limits, used for the zero values of Limits.
const (
	DefaultMaxArchiveBytes = 20 << 20  // the zip itself (Code.ZipFile decoded)
	DefaultMaxBytes        = 500 << 20 // all files, uncompressed
	DefaultMaxEntries      = 20000     // files, folders and symlinks
)

// Limits bounds what Extract accepts. Zero values pick the defaults.
type Limits struct {
	MaxArchiveBytes int64
	MaxBytes        int64
	MaxEntries      int
}

func (l Limits) withDefaults() Limits {
	if l.MaxArchiveBytes <= 0 {
		l.MaxArchiveBytes = DefaultMaxArchiveBytes
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}

// Sentinel errors; every rejection of an archive wraps exactly one of them,
// with a message that names the entry.
var (
	ErrNotZip       = errors.New("not a valid zip archive")
	ErrUnsafePath   = errors.New("unsafe path in zip archive")
	ErrUnsafeLink   = errors.New("unsafe symlink in zip archive")
	ErrTooLarge     = errors.New("zip archive too large")
	ErrTooManyFiles = errors.New("zip archive has too many entries")
)

// Name limits of common filesystems; longer names fail at create time with
// an error that would not say which entry was at fault.
const (
	maxNameBytes      = 4096
	maxComponentBytes = 255
	maxLinkBytes      = 4096
)

// Stats counts what Extract wrote.
type Stats struct {
	Files, Dirs, Symlinks int
	Bytes                 int64 // uncompressed bytes of regular files
}

// entry is one checked archive member.
type entry struct {
	f    *zip.File
	name string // clean, slash-separated, relative
	kind kind
}

type kind int

const (
	kindFile kind = iota
	kindDir
	kindLink
)

// Extract unpacks the zip archive data into dir, which must be an existing,
// empty folder. Files get mode 0755 when the archive marks them executable
// for anyone, else 0644. Symlinks are kept when they resolve to something
// inside dir. On error dir is emptied again.
func Extract(ctx context.Context, data []byte, dir string, lim Limits) (_ Stats, err error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxArchiveBytes {
		return Stats{}, fmt.Errorf("%w: the archive is %d bytes, more than the %d allowed", ErrTooLarge, len(data), lim.MaxArchiveBytes)
	}
	root, err := emptyDir(dir)
	if err != nil {
		return Stats{}, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// ErrInsecurePath comes with a usable reader; names are checked below.
		return Stats{}, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return Stats{}, fmt.Errorf("%w: %d entries, more than the %d allowed", ErrTooManyFiles, len(zr.File), lim.MaxEntries)
	}
	entries, err := plan(zr.File)
	if err != nil {
		return Stats{}, err
	}
	defer func() {
		if err != nil {
			emptyOut(root)
		}
	}()
	x := &extractor{root: root, budget: lim.MaxBytes}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return Stats{}, err
		}
		switch e.kind {
		case kindDir:
			err = x.dir(e)
		case kindFile:
			err = x.file(e)
		}
		if err != nil {
			return Stats{}, err
		}
	}
	// Symlinks last: until now no path component can be a link, so every
	// write above landed inside root.
	var links []entry
	for _, e := range entries {
		if e.kind == kindLink {
			if err := x.link(e); err != nil {
				return Stats{}, err
			}
			links = append(links, e)
		}
	}
	for _, e := range links {
		if err := x.checkLink(e); err != nil {
			return Stats{}, err
		}
	}
	return x.stats, nil
}

// emptyDir returns dir's real absolute path after checking it is an empty
// folder: a symlink planted in it could otherwise redirect writes.
func emptyDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	ents, err := os.ReadDir(real)
	if err != nil {
		return "", err
	}
	if len(ents) > 0 {
		return "", fmt.Errorf("extract into %s: the folder is not empty", dir)
	}
	return real, nil
}

// emptyOut removes everything below root, best effort.
func emptyOut(root string) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		_ = os.RemoveAll(filepath.Join(root, e.Name()))
	}
}

// plan checks every member's name and type and the tree they form: no
// duplicates, and nothing below a file or a symlink.
func plan(files []*zip.File) ([]entry, error) {
	entries := make([]entry, 0, len(files))
	kinds := make(map[string]kind, len(files))
	for _, f := range files {
		name, err := cleanName(f.Name)
		if err != nil {
			return nil, err
		}
		mode := f.Mode()
		k := kindFile
		switch {
		case mode&fs.ModeSymlink != 0:
			k = kindLink
		case mode.IsDir() || strings.HasSuffix(f.Name, "/") || strings.HasSuffix(f.Name, `\`):
			k = kindDir
		case !mode.IsRegular():
			return nil, fmt.Errorf("%w: entry %q is a %s; only files, folders and symlinks are allowed", ErrUnsafePath, f.Name, typeName(mode))
		}
		if name == "." {
			if k != kindDir {
				return nil, fmt.Errorf("%w: entry %q has an empty name", ErrUnsafePath, f.Name)
			}
			continue // the root itself
		}
		if prev, ok := kinds[name]; ok {
			if prev == kindDir && k == kindDir {
				continue
			}
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrUnsafePath, name)
		}
		kinds[name] = k
		entries = append(entries, entry{f: f, name: name, kind: k})
	}
	for _, e := range entries {
		for p := path.Dir(e.name); p != "."; p = path.Dir(p) {
			switch k, ok := kinds[p]; {
			case ok && k == kindFile:
				return nil, fmt.Errorf("%w: entry %q lies below %q, which is a file", ErrUnsafePath, e.name, p)
			case ok && k == kindLink:
				return nil, fmt.Errorf("%w: entry %q lies below %q, which is a symlink", ErrUnsafeLink, e.name, p)
			}
		}
	}
	return entries, nil
}

// cleanName turns a member name into a clean relative slash path, or
// rejects it. Backslashes count as separators, as Windows tools write them.
func cleanName(raw string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: entry %q %s", ErrUnsafePath, raw, why)
	}
	if len(raw) > maxNameBytes {
		return bad(fmt.Sprintf("has a name longer than %d bytes", maxNameBytes))
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return bad("has a control character in its name")
		}
	}
	name := strings.ReplaceAll(raw, `\`, "/")
	if strings.HasPrefix(name, "/") {
		return bad("has an absolute path")
	}
	if len(name) >= 2 && name[1] == ':' {
		return bad("has a drive letter")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return bad("leaves the archive's folder (..)")
		}
		if len(part) > maxComponentBytes {
			return bad(fmt.Sprintf("has a path element longer than %d bytes", maxComponentBytes))
		}
	}
	if name == "" {
		return bad("has an empty name")
	}
	return path.Clean(name), nil
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// extractor writes checked entries below root.
type extractor struct {
	root   string
	budget int64 // uncompressed bytes still allowed
	stats  Stats
}

func (x *extractor) path(name string) string {
	return filepath.Join(x.root, filepath.FromSlash(name))
}

func (x *extractor) dir(e entry) error {
	if err := os.MkdirAll(x.path(e.name), 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	x.stats.Dirs++
	return nil
}

func (x *extractor) file(e entry) (err error) {
	if e.f.UncompressedSize64 > uint64(x.budget) {
		return x.tooLarge(e)
	}
	p := x.path(e.name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	rc, err := e.f.Open()
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrNotZip, e.name, err)
	}
	defer rc.Close()
	mode := os.FileMode(0o644)
	if e.f.Mode()&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("extract %s: %w", e.name, cerr)
		}
	}()
	// The sizes in the archive can lie; the bytes actually inflated count.
	n, err := io.Copy(out, io.LimitReader(rc, x.budget+1))
	if n > x.budget {
		return x.tooLarge(e)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("extract %s: %w", e.name, err)
		}
		return fmt.Errorf("%w: entry %q: %v", ErrNotZip, e.name, err)
	}
	x.budget -= n
	x.stats.Files++
	x.stats.Bytes += n
	// The umask may have cleared bits of mode.
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	return nil
}

func (x *extractor) tooLarge(e entry) error {
	return fmt.Errorf("%w: the files inflate to more than %d bytes (reached at %q)", ErrTooLarge, x.stats.Bytes+x.budget, e.name)
}

// link creates a symlink whose target, read as a path relative to the
// link's folder, stays inside root; checkLink later verifies the resolved
// target, which can pass through other links.
func (x *extractor) link(e entry) error {
	rc, err := e.f.Open()
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrNotZip, e.name, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxLinkBytes+1))
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrNotZip, e.name, err)
	}
	target := string(raw)
	bad := func(why string) error {
		return fmt.Errorf("%w: %q -> %q %s", ErrUnsafeLink, e.name, target, why)
	}
	switch {
	case len(raw) > maxLinkBytes:
		return bad(fmt.Sprintf("has a target longer than %d bytes", maxLinkBytes))
	case target == "":
		return bad("has an empty target")
	case strings.ContainsAny(target, "\x00\\"):
		return bad("has a NUL or backslash in its target")
	case strings.HasPrefix(target, "/"), len(target) >= 2 && target[1] == ':':
		return bad("points to an absolute path")
	}
	if t := path.Join(path.Dir(e.name), target); t == ".." || strings.HasPrefix(t, "../") {
		return bad("leaves the archive's folder")
	}
	p := x.path(e.name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	if err := os.Symlink(target, p); err != nil {
		return fmt.Errorf("extract %s: %w", e.name, err)
	}
	x.stats.Symlinks++
	return nil
}

// checkLink resolves a created symlink with every link in place.
func (x *extractor) checkLink(e entry) error {
	real, err := filepath.EvalSymlinks(x.path(e.name))
	if err != nil {
		return fmt.Errorf("%w: %q does not resolve to a file or folder of the archive: %v", ErrUnsafeLink, e.name, err)
	}
	if real != x.root && !strings.HasPrefix(real, x.root+string(filepath.Separator)) {
		return fmt.Errorf("%w: %q resolves to %s, outside the archive's folder", ErrUnsafeLink, e.name, real)
	}
	return nil
}
