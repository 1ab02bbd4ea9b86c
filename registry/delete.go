package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Delete deletes a function with its versions, aliases and triggers, and
// its source folder when the registry owns it; a source folder from
// emulator.yaml is left alone, and the next start defines the function
// again. A parked function is deleted for good the same way: this is how
// its kept state is dropped. Instances still running the function's code
// are the runtime's business: subscribers get ChangeFunctionDeleted.
// Snapshot trees stay on disk until the next Open.
//
// Errors wrap ErrFunctionNotFound.
func (r *Registry) Delete(ctx context.Context, name string) error {
	return r.delete(ctx, name, false)
}

// DeleteParked deletes function name as Delete does, but only while it is
// parked: one added back to the config meanwhile stays, so that `emulator
// gc --parked` never deletes a served function.
//
// Errors wrap ErrFunctionNotFound or ErrNotParked.
func (r *Registry) DeleteParked(ctx context.Context, name string) error {
	return r.delete(ctx, name, true)
}

func (r *Registry) delete(ctx context.Context, name string, parkedOnly bool) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	defer r.flush()
	l := r.fnLock(name)
	l.Lock()
	defer l.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	managed, err := r.deleteLocked(name, parkedOnly)
	if err != nil {
		return err
	}
	if managed {
		if err := os.RemoveAll(filepath.Dir(r.ManagedSourceDir(name))); err != nil {
			// The function is gone; Open or a later Create removes the rest.
			r.log.Warn("cannot remove the deleted function's source", "function", name, "err", err)
		}
	}
	r.log.Info("function deleted", "function", name)
	return nil
}

func (r *Registry) deleteLocked(name string, parkedOnly bool) (managed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if parkedOnly && err == nil {
		return false, fmt.Errorf("%w: %s is in the config again and served", ErrNotParked, name)
	}
	if p, ok := r.st.Load().parked[name]; ok && errors.Is(err, ErrFunctionNotFound) {
		f, err = p, nil
	}
	if err != nil {
		return false, err
	}
	next := r.st.Load().without(name)
	if err := r.save(next); err != nil {
		return false, err
	}
	r.st.Store(next)
	r.table.Store(r.table.Load().without(name))
	r.subMu.Lock()
	r.pending = append(r.pending, Change{Kind: ChangeFunctionDeleted, Function: name, Previous: cloneVersion(f.fn.Latest)})
	r.subMu.Unlock()
	return r.isManaged(f.fn), nil
}

// collectManaged runs in Open: it removes the managed folders of functions
// that no longer exist and the scratch folders an interrupted update left.
func (r *Registry) collectManaged(st *state) {
	root := filepath.Join(r.dir, managedDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		r.log.Warn("cannot read managed sources", "dir", root, "err", err)
		return
	}
	all := st.stored()
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		f, ok := all[strings.Replace(e.Name(), "@", "/", 1)]
		if !ok || !r.isManaged(f.fn) {
			if err := os.RemoveAll(dir); err != nil {
				r.log.Warn("remove source of a deleted function", "dir", dir, "err", err)
			}
			continue
		}
		inner, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, s := range inner {
			if strings.HasPrefix(s.Name(), tmpSrcPrefix) || strings.HasPrefix(s.Name(), oldSrcPrefix) {
				_ = os.RemoveAll(filepath.Join(dir, s.Name()))
			}
		}
	}
}
