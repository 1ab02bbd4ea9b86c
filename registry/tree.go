package registry

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// entry is one file of a tree.
type entry struct {
	path string // slash-separated, relative to the tree root
	exec bool
	hash string // sha256 of the content
	size int64
}

// manifest lists a tree's files sorted by path. Its canonical text is stored
// as an object of its own, so the code hash (the sha256 of that text) names
// both the manifest object and the tree, and a lost tree can be rebuilt.
type manifest []entry

func (m manifest) sort() {
	sort.Slice(m, func(i, j int) bool { return m[i].path < m[j].path })
}

// encode returns the canonical text: one "<sha256> <x|-> <size> <path>" line
// per file.
func (m manifest) encode() []byte {
	var b bytes.Buffer
	for _, e := range m {
		mode := "-"
		if e.exec {
			mode = "x"
		}
		fmt.Fprintf(&b, "%s %s %d %s\n", e.hash, mode, e.size, e.path)
	}
	return b.Bytes()
}

func (m manifest) size() int64 {
	var n int64
	for _, e := range m {
		n += e.size
	}
	return n
}

func decodeManifest(data []byte) (manifest, error) {
	var m manifest
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 4)
		if len(parts) != 4 || len(parts[0]) != sha256.Size*2 || (parts[1] != "x" && parts[1] != "-") {
			return nil, fmt.Errorf("malformed manifest line %q", sc.Text())
		}
		size, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed manifest line %q: %w", sc.Text(), err)
		}
		m = append(m, entry{hash: parts[0], exec: parts[1] == "x", size: size, path: parts[3]})
	}
	return m, sc.Err()
}

// commit stores the manifest object and materialises the tree. It returns the
// code hash and whether it wrote anything.
func (s *store) commit(m manifest) (string, bool, error) {
	text := m.encode()
	sum := sha256.Sum256(text)
	codeHash := hex.EncodeToString(sum[:])
	wrote := false
	if _, err := os.Stat(s.objectPath(codeHash, false)); errors.Is(err, os.ErrNotExist) {
		if _, _, err := s.writeObject(bytes.NewReader(text), false); err != nil {
			return "", false, fmt.Errorf("store manifest: %w", err)
		}
		wrote = true
	}
	created, err := s.materialise(codeHash, m)
	if err != nil {
		return "", false, err
	}
	return codeHash, wrote || created, nil
}

// flush makes everything written so far durable with one filesystem-wide
// sync, before state.json may reference it. Written objects and trees are
// complete under their final names only after their rename, so a crash before
// the flush leaves either nothing or, at worst, an unreferenced file.
func (s *store) flush() error {
	if err := syncFS(s.dir); err != nil {
		return fmt.Errorf("sync snapshot files: %w", err)
	}
	return nil
}

// readManifest loads and verifies the manifest object of codeHash.
func (s *store) readManifest(codeHash string) (manifest, error) {
	data, err := os.ReadFile(s.objectPath(codeHash, false))
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != codeHash {
		return nil, fmt.Errorf("manifest %s is corrupt", codeHash)
	}
	return decodeManifest(data)
}

// materialise builds trees/<codeHash> from objects unless it exists, and
// reports whether it built it. The tree is assembled in a temporary directory
// and renamed into place, so it appears complete or not at all.
func (s *store) materialise(codeHash string, m manifest) (created bool, err error) {
	dst := s.treePath(codeHash)
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return false, nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, treesDir), tmpPrefix)
	if err != nil {
		return false, fmt.Errorf("materialise tree %s: %w", codeHash, err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return false, err
	}
	for _, e := range m {
		p := filepath.Join(tmp, filepath.FromSlash(e.path))
		if !within(tmp, p) || p == tmp {
			return false, fmt.Errorf("materialise tree %s: path %q leaves the tree", codeHash, e.path)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return false, fmt.Errorf("materialise tree %s: %w", codeHash, err)
		}
		if err := linkOrCopy(s.objectPath(e.hash, e.exec), p, e.exec); err != nil {
			return false, fmt.Errorf("materialise tree %s: %s: %w", codeHash, e.path, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if fi, serr := os.Stat(dst); serr == nil && fi.IsDir() {
			_ = os.RemoveAll(tmp) // another function built the same tree first
			return false, nil
		}
		return false, fmt.Errorf("materialise tree %s: %w", codeHash, err)
	}
	return true, nil
}

// linkOrCopy hard-links the object to p, copying when the filesystem cannot
// link (another device, no link support).
func linkOrCopy(obj, p string, exec bool) error {
	if err := os.Link(obj, p); err == nil {
		return nil
	}
	src, err := os.Open(obj)
	if err != nil {
		return err
	}
	defer src.Close()
	mode := os.FileMode(0o444)
	if exec {
		mode = 0o555
	}
	dst, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}
