package codezip

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// member is one entry of a test archive.
type member struct {
	name string
	body string
	mode fs.FileMode // 0 means 0644; fs.ModeSymlink makes body the target
}

// buildZip writes members with Unix modes, as zip -y on Linux does.
func buildZip(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		mode := m.mode
		if mode == 0 {
			mode = 0o644
		}
		if strings.HasSuffix(m.name, "/") {
			mode |= fs.ModeDir
			h.Method = zip.Store
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// extractFresh extracts data into an empty folder inside a parent folder,
// so tests can also check that nothing appeared beside it.
func extractFresh(t *testing.T, data []byte, lim Limits) (dir string, st Stats, err error) {
	t.Helper()
	parent := t.TempDir()
	dir = filepath.Join(parent, "dst")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err = Extract(context.Background(), data, dir, lim)
	ents, rerr := os.ReadDir(parent)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(ents) != 1 || ents[0].Name() != "dst" {
		t.Fatalf("extract wrote beside the target: %v", ents)
	}
	return dir, st, err
}

func TestExtractWritesTreeAndModes(t *testing.T) {
	data := buildZip(t,
		member{name: "index.py", body: "def main_handler(e, c):\n    return 1\n"},
		member{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755},
		member{name: "lib/", mode: 0o755},
		member{name: "lib/util.py", body: "X = 1\n", mode: 0o600},
		member{name: `win\style.txt`, body: "w"},
		member{name: "deep/a/b/c.txt", body: "c"},
		member{name: "link.py", body: "lib/util.py", mode: fs.ModeSymlink | 0o777},
		member{name: "libdir", body: "lib", mode: fs.ModeSymlink | 0o777},
		member{name: "./", mode: 0o755},
	)
	dir, st, err := extractFresh(t, data, Limits{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if st.Files != 5 || st.Symlinks != 2 || st.Dirs != 1 {
		t.Errorf("stats = %+v, want 5 files, 2 symlinks, 1 dir", st)
	}
	tests := []struct {
		name string
		body string
		perm fs.FileMode
	}{
		{"index.py", "def main_handler(e, c):\n    return 1\n", 0o644},
		{"bootstrap", "#!/bin/sh\n", 0o755},
		{"lib/util.py", "X = 1\n", 0o644},
		{"win/style.txt", "w", 0o644},
		{"deep/a/b/c.txt", "c", 0o644},
		{"link.py", "X = 1\n", 0o644},
		{"libdir/util.py", "X = 1\n", 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, filepath.FromSlash(tc.name))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.body {
				t.Errorf("content = %q, want %q", b, tc.body)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.perm)
			}
		})
	}
	if fi, err := os.Lstat(filepath.Join(dir, "link.py")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link.py is not a symlink: %v %v", fi, err)
	}
}

func TestExtractRejects(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		lim    Limits
		want   error
		msgHas string
	}{
		{"not a zip", []byte("PK\x03\x04 definitely not"), Limits{}, ErrNotZip, ""},
		{"empty input", nil, Limits{}, ErrNotZip, ""},
		{"zip slip", buildZip(t, member{name: "../evil.py", body: "x"}), Limits{}, ErrUnsafePath, "../evil.py"},
		{"zip slip inside", buildZip(t, member{name: "a/../../evil.py", body: "x"}), Limits{}, ErrUnsafePath, ".."},
		{"zip slip backslash", buildZip(t, member{name: `..\evil.py`, body: "x"}), Limits{}, ErrUnsafePath, ".."},
		{"absolute", buildZip(t, member{name: "/etc/evil", body: "x"}), Limits{}, ErrUnsafePath, "absolute"},
		{"drive letter", buildZip(t, member{name: `C:\evil`, body: "x"}), Limits{}, ErrUnsafePath, "drive"},
		{"control character", buildZip(t, member{name: "a\nb", body: "x"}), Limits{}, ErrUnsafePath, "control"},
		{"duplicate file", buildZip(t, member{name: "a.py", body: "1"}, member{name: "./a.py", body: "2"}), Limits{}, ErrUnsafePath, "twice"},
		{"file and folder", buildZip(t, member{name: "a", body: "1"}, member{name: "a/b", body: "2"}), Limits{}, ErrUnsafePath, "which is a file"},
		{"below a symlink", buildZip(t, member{name: "l", body: ".", mode: fs.ModeSymlink | 0o777}, member{name: "l/x", body: "2"}), Limits{}, ErrUnsafeLink, "which is a symlink"},
		{"symlink out", buildZip(t, member{name: "l", body: "../../etc/passwd", mode: fs.ModeSymlink | 0o777}), Limits{}, ErrUnsafeLink, "leaves"},
		{"symlink absolute", buildZip(t, member{name: "l", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}), Limits{}, ErrUnsafeLink, "absolute"},
		{"symlink dangling", buildZip(t, member{name: "l", body: "nope", mode: fs.ModeSymlink | 0o777}), Limits{}, ErrUnsafeLink, "does not resolve"},
		{"symlink chain out", buildZip(t,
			member{name: "x", body: ".", mode: fs.ModeSymlink | 0o777},
			member{name: "sub/", mode: 0o755},
			member{name: "sub/esc", body: "../x/..", mode: fs.ModeSymlink | 0o777},
		), Limits{}, ErrUnsafeLink, "outside"},
		{"too many entries", buildZip(t, member{name: "a", body: "1"}, member{name: "b", body: "2"}, member{name: "c", body: "3"}), Limits{MaxEntries: 2}, ErrTooManyFiles, "3 entries"},
		{"archive too large", buildZip(t, member{name: "a", body: strings.Repeat("x", 100)}), Limits{MaxArchiveBytes: 50}, ErrTooLarge, "archive"},
		{"inflates too much", buildZip(t, member{name: "a", body: strings.Repeat("x", 600)}, member{name: "b", body: strings.Repeat("y", 600)}), Limits{MaxBytes: 1000}, ErrTooLarge, `"b"`},
		{"lying size", lyingZip(t, 5000), Limits{MaxBytes: 1000}, nil, ""},
		{"device", buildZip(t, member{name: "dev", mode: fs.ModeDevice | 0o644}), Limits{}, ErrUnsafePath, "device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, err := extractFresh(t, tc.data, tc.lim)
			if err == nil {
				t.Fatal("Extract succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotZip) {
				t.Errorf("err = %v, want ErrTooLarge or ErrNotZip", err)
			}
			if !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("err %q does not mention %q", err, tc.msgHas)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 0 {
				t.Errorf("target folder not emptied after the error: %v", ents)
			}
		})
	}
}

// lyingZip stores one deflated member whose header claims 10 bytes while it
// inflates to n.
func lyingZip(t *testing.T, n int) []byte {
	t.Helper()
	body := bytes.Repeat([]byte("z"), n)
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bomb", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractNeedsEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(context.Background(), buildZip(t, member{name: "a", body: "1"}), dir, Limits{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("err = %v, want a not-empty error", err)
	}
}

func TestExtractHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Extract(ctx, buildZip(t, member{name: "a", body: "1"}), t.TempDir(), Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
