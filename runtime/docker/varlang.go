package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// containerLangDir is where the platform keeps its interpreters; web
// functions' scf_bootstrap files name them by these paths
// (scf-behaviour.md "Runtime environment details").
const containerLangDir = "/var/lang"

// langDirName is the folder of the work dir that holds the /var/lang tree.
const langDirName = "lang"

// langPaths are the interpreter paths under /var/lang that the platform's
// documentation and its runtimes use, with the command each one runs. The
// public images (python:X.Y-slim, node:N-slim, php:X.Y-cli) and the Debian
// image have none of them, so every container gets a read-only tree of
// small scripts at /var/lang that run the image's own interpreter from
// PATH. A user's image is left as built: the tree is a mount, not a change
// to the image. The version is the image's, whatever the path says: a
// Python3.9 function that runs /var/lang/python37/bin/python3 gets 3.9.
var langPaths = map[string]string{
	"python3/bin/python3":   "python3", // Python 3.6, the documented example
	"python3/bin/python":    "python3",
	"python36/bin/python3":  "python3",
	"python37/bin/python3":  "python3",
	"python39/bin/python3":  "python3",
	"python310/bin/python3": "python3",
	"python311/bin/python3": "python3",
	"python312/bin/python3": "python3",
	"node10/bin/node":       "node",
	"node12/bin/node":       "node",
	"node14/bin/node":       "node",
	"node16/bin/node":       "node",
	"node18/bin/node":       "node",
	"node20/bin/node":       "node",
	"node22/bin/node":       "node",
	"php7/bin/php":          "php", // PHP 7.2
	"php72/bin/php":         "php",
	"php74/bin/php":         "php",
	"php80/bin/php":         "php",
	"php82/bin/php":         "php",
}

// LangPaths lists the /var/lang interpreter paths every container has,
// sorted, for documentation and tests.
func LangPaths() []string {
	out := make([]string, 0, len(langPaths))
	for p := range langPaths {
		out = append(out, containerLangDir+"/"+p)
	}
	sort.Strings(out)
	return out
}

// langScript is the script at /var/lang/<rel>: it execs cmd with the same
// arguments, or says which interpreter the image lacks. A script rather
// than a symbolic link, because python:X.Y-slim keeps python3 in
// /usr/local/bin and the Debian image in /usr/bin.
func langScript(rel, cmd string) []byte {
	return fmt.Appendf(nil, `#!/bin/sh
# %[1]s/%[2]s: the platform's interpreter path, provided by scf-emulator.
command -v %[3]s >/dev/null 2>&1 || { echo "%[1]s/%[2]s: this image has no %[3]s on PATH (the function's runtime decides the image)" >&2; exit 127; }
exec %[3]s "$@"
`, containerLangDir, rel, cmd)
}

// writeLangDir writes the /var/lang tree under dir/lang, rewriting only
// files whose content differs (a running container may be reading them).
func writeLangDir(dir string) error {
	for rel, cmd := range langPaths {
		dst := filepath.Join(dir, langDirName, filepath.FromSlash(rel))
		data := langScript(rel, cmd)
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", containerLangDir, err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".lang-*")
		if err == nil {
			_, err = tmp.Write(data)
			err = errors.Join(err, tmp.Close(), os.Chmod(tmp.Name(), 0o755))
			if err == nil {
				err = os.Rename(tmp.Name(), dst)
			}
			if err != nil {
				os.Remove(tmp.Name())
			}
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", containerLangDir, err)
		}
	}
	return nil
}

// langMount is the read-only /var/lang of a container: the work dir's
// tree, or for a remote engine a volume holding a copy of it.
func (d *Docker) langMount(ctx context.Context, image string) (bindMount, error) {
	dir := filepath.Join(d.workDir, langDirName)
	if d.remote == nil {
		return bindMount{source: dir, target: containerLangDir, readOnly: true}, nil
	}
	name := "scf-lang-" + short(d.session, 12)
	if err := d.filledVolume(ctx, name, dir, image); err != nil {
		return bindMount{}, startFailed(ctx, "cannot copy /var/lang to the remote docker engine", err)
	}
	return bindMount{source: name, target: containerLangDir, readOnly: true, volume: true}, nil
}
