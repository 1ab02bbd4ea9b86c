package process

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/scferr"
)

// debugHost is where a debugger listens on the process runtime: loopback
// only, since a debugger runs any code its client sends.
const debugHost = "127.0.0.1"

// prepareDebug checks that the debugger spec needs is there and that its port
// is free (the instance of the code before a reload may still hold it), and
// returns spec running from DebugCodeDir.
func (p *Process) prepareDebug(ctx context.Context, spec runtime.Spec) (runtime.Spec, error) {
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http"):
	case strings.HasPrefix(rt, "python") && p.pythonErr == nil:
		if err := instance.CheckDebugpy(ctx, p.python); err != nil {
			return spec, err
		}
	case rt == "go1":
		if _, err := instance.FindDelve(); err != nil {
			return spec, err
		}
	}
	if err := instance.AwaitPortFree(ctx, debugHost, spec.DebugPort); err != nil {
		return spec, err
	}
	dir, err := p.debugTree(spec)
	spec.CodeDir = dir
	return spec, err
}

// DebugCodeDir is where a debugged version's code runs from on this
// runtime: a path that stays the same across reloads, unlike the snapshot
// tree (named by its hash), so that the debugger's path mappings keep
// binding breakpoints after a save.
func (p *Process) DebugCodeDir(spec runtime.Spec) string {
	ns := spec.Namespace
	if ns == "" {
		ns = "default"
	}
	return filepath.Join(p.workDir, "debug", ns, spec.Function, strings.ReplaceAll(spec.Version, "$", "_"))
}

// debugTree lays spec's snapshot out at DebugCodeDir, hard-linked (the
// snapshot is immutable) or copied where links fail, replacing what the
// previous code left there; the instance that ran it has stopped, since
// the debug port is free.
func (p *Process) debugTree(spec runtime.Spec) (string, error) {
	dst := p.DebugCodeDir(spec)
	if err := os.RemoveAll(dst); err != nil {
		return "", scferr.New(scferr.ErrContainerInit, "cannot prepare the debug code directory", err)
	}
	err := filepath.WalkDir(spec.CodeDir, func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(spec.CodeDir, src)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			return instance.LinkOrCopy(src, to)
		}
		return nil // sockets, devices: not code
	})
	if err != nil {
		return "", scferr.New(scferr.ErrContainerInit, "cannot prepare the debug code directory", err)
	}
	return dst, nil
}
