package watch

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// skippedDirs are folder names never watched nor reported anywhere in a
// tree: version control, bytecode caches, and the emulator's own state dir,
// which sits beside emulator.yaml and so inside a source folder of ".".
var skippedDirs = map[string]bool{".git": true, "__pycache__": true, ".emulator": true}

// skipDir reports whether a folder at relative slash path rel (or one of
// its parents) is never watched.
func skipDir(rel string) bool {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		if skippedDirs[p] {
			return true
		}
		// Build tools keep caches there that change on every run.
		if p == ".cache" && i > 0 && parts[i-1] == "node_modules" {
			return true
		}
	}
	return false
}

// tempName reports whether a file name belongs to an editor's scratch files
// rather than to the code: vim swap and probe files, emacs locks and
// autosaves, backups ending in ~, JetBrains safe-write files.
func tempName(base string) bool {
	switch {
	case base == ".DS_Store":
		return true
	case strings.HasSuffix(base, "~"):
		return true
	case strings.HasPrefix(base, ".#"):
		return true
	case len(base) > 1 && strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#"):
		return true
	case strings.HasSuffix(base, "___jb_tmp___"), strings.HasSuffix(base, "___jb_old___"):
		return true
	case vimSwap(base), vimProbe(base):
		return true
	}
	return false
}

// vimSwap matches .name.swp, .name.swo ... .name.swa and *.swx; vim steps
// backwards from .swp when a swap file already exists.
func vimSwap(base string) bool {
	ext := path.Ext(base)
	if ext == ".swp" || ext == ".swx" {
		return true
	}
	return strings.HasPrefix(base, ".") && len(ext) == 4 && strings.HasPrefix(ext, ".sw") && ext[3] >= 'a' && ext[3] <= 'p'
}

// vimProbe matches the files vim creates to test that a folder is writable:
// 4913, then 4913+123, 4913+246 ... while the name is taken.
func vimProbe(base string) bool {
	n, err := strconv.Atoi(base)
	return err == nil && n >= 4913 && (n-4913)%123 == 0 && n < 4913+123*100
}

// rel returns p relative to dir as a slash path, or false when p is not dir
// or inside it.
func rel(dir, p string) (string, bool) {
	if p == dir {
		return ".", true
	}
	prefix := dir
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	if !strings.HasPrefix(p, prefix) {
		return "", false
	}
	return filepath.ToSlash(p[len(prefix):]), true
}

// within reports whether p is dir or inside it.
func within(dir, p string) bool {
	_, ok := rel(dir, p)
	return ok
}

// normIgnore turns a path returned by a reload into a slash path relative
// to dir, or false when it does not name something inside dir.
func normIgnore(dir, p string) (string, bool) {
	if filepath.IsAbs(p) {
		r, ok := rel(dir, filepath.Clean(p))
		if !ok {
			return "", false
		}
		p = r
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") {
		return "", false
	}
	return p, true
}

// ignoredBy reports whether rel or one of its parent folders is in set.
func ignoredBy(set map[string]struct{}, rel string) bool {
	if len(set) == 0 {
		return false
	}
	for p := rel; p != "." && p != ""; p = path.Dir(p) {
		if _, ok := set[p]; ok {
			return true
		}
	}
	return false
}
