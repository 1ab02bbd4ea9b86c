package instance

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

const (
	defaultMemoryMB   = 128
	defaultTimeoutSec = 3
)

// Bootstraps are the Custom Runtime clients that run Python, Node.js and
// PHP event functions. They ship inside the binary and are written to
// the backend's WorkDir (WriteBootstraps), because interpreters need files.
//
//go:embed bootstrap/python/bootstrap.py bootstrap/node/bootstrap.js bootstrap/php/bootstrap.php
var Bootstraps embed.FS

// WriteBootstraps copies the embedded scripts under dir, rewriting a file
// only when its content differs, through a rename so that an instance
// starting concurrently never reads half a script.
func WriteBootstraps(dir string) error {
	return fs.WalkDir(Bootstraps, "bootstrap", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := Bootstraps.ReadFile(name)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, "bootstrap/")))
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write bootstrap: %w", err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".bootstrap-*")
		if err != nil {
			return fmt.Errorf("write bootstrap: %w", err)
		}
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write bootstrap %s: %w", dst, err)
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write bootstrap %s: %w", dst, err)
		}
		return nil
	})
}

// FindExecutable returns the first of names that exists in dir, which
// must be an executable regular file.
func FindExecutable(dir string, names ...string) (string, error) {
	for _, name := range names {
		if !filepath.IsLocal(name) {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return "", scferr.Newf(scferr.ErrContainerInit, nil, "bootstrap file does not exist or is not executable: %s is not an executable file", path)
		}
		if err := checkExecFormat(path, name); err != nil {
			return "", err
		}
		return path, nil
	}
	return "", scferr.Newf(scferr.ErrContainerInit, nil,
		"bootstrap file does not exist or is not executable: no %s in %s", strings.Join(names, " or "), dir)
}

// checkExecFormat returns a 445 naming the fault when the kernel would
// refuse to execute the file at path, where the exec itself says only "no
// such file or directory" (the interpreter of a #! line ending in \r) or
// "exec format error". An unreadable file is left to the start to report.
func checkExecFormat(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n == 0:
		return scferr.Newf(scferr.ErrContainerInit, nil, "%s is empty: it must be a script starting with #! (such as #!/bin/bash) or a Linux executable", name)
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return nil
	case !bytes.HasPrefix(head, []byte("#!")):
		return scferr.Newf(scferr.ErrContainerInit, nil,
			"%s is neither a script whose first line is #! and its interpreter (such as #!/bin/bash) nor a Linux executable, so it cannot be started; "+
				"a shell script needs #!/bin/bash as its very first line (no byte-order mark before it)", name)
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.HasSuffix(line, []byte("\r")) {
		return scferr.Newf(scferr.ErrContainerInit, nil,
			"%s has Windows line endings (CRLF): its first line asks for the interpreter %q, which does not exist; "+
				"save it with LF line endings, as the platform requires (dos2unix %s, or your editor's line-ending setting)",
			name, strings.TrimPrefix(string(line), "#!"), name)
	}
	return nil
}

func SpecLimits(spec runtime.Spec) (memMB, timeoutMs int) {
	memMB, timeoutSec := spec.MemoryMB, spec.TimeoutSec
	if memMB <= 0 {
		memMB = defaultMemoryMB
	}
	if timeoutSec <= 0 {
		timeoutSec = defaultTimeoutSec
	}
	return memMB, timeoutSec * 1000
}

// PHPArgs are the arguments of php running the PHP bootstrap at path:
// warnings and errors go to stderr, where the platform's logs have them,
// not into the output of the invocation's return value.
func PHPArgs(path string) []string {
	return []string{"-d", "display_errors=stderr", "-d", "log_errors=0", path}
}

// LinkOrCopy hard-links src at dst, copying it (with its mode) when the two
// are on different file systems. dst must not exist.
func LinkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
