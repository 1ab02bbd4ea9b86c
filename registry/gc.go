package registry

import (
	"os"
	"path/filepath"
	"strings"
)

// collect runs once, in Open: it rebuilds referenced trees that are missing
// and removes trees and objects nothing references. It never runs while the
// registry is open, because instances draining after a $LATEST reload may
// still execute from a tree that no version references any more.
//
// Failures are logged, not returned: garbage costs disk space, not
// correctness.
func (r *Registry) collect(st *state) {
	live := make(map[string]bool)   // code hashes
	for _, f := range st.stored() { // parked functions' code is kept
		live[f.fn.Latest.CodeHash] = true
		for _, v := range f.versions {
			live[v.CodeHash] = true
		}
	}
	for _, l := range st.layers {
		live[l.view.CodeHash] = true
		for _, v := range l.versions {
			live[v.CodeHash] = true
		}
	}
	delete(live, "")

	objects := make(map[string]bool) // object file names
	complete := true
	rebuilt := false
	for h := range live {
		m, err := r.store.readManifest(h)
		if err != nil {
			complete = false
			r.log.Warn("cannot read tree manifest; keeping all objects", "code_hash", h, "err", err)
			continue
		}
		objects[objectName(h, false)] = true
		for _, e := range m {
			objects[objectName(e.hash, e.exec)] = true
		}
		if created, err := r.store.materialise(h, m); err != nil {
			r.log.Warn("cannot rebuild tree", "code_hash", h, "err", err)
		} else if created {
			rebuilt = true
			r.log.Warn("rebuilt missing tree from its manifest", "code_hash", h)
		}
	}
	if rebuilt {
		if err := r.store.flush(); err != nil {
			r.log.Warn("sync rebuilt trees", "err", err)
		}
	}

	treeRoot := filepath.Join(r.dir, treesDir)
	removed := 0
	if ents, err := os.ReadDir(treeRoot); err == nil {
		for _, e := range ents {
			if live[e.Name()] {
				continue
			}
			if err := os.RemoveAll(filepath.Join(treeRoot, e.Name())); err != nil {
				r.log.Warn("remove unused tree", "path", filepath.Join(treeRoot, e.Name()), "err", err)
				continue
			}
			removed++
		}
	}

	objRoot := filepath.Join(r.dir, objectsDir)
	if ents, err := os.ReadDir(objRoot); err == nil {
		for _, e := range ents {
			temp := strings.HasPrefix(e.Name(), tmpPrefix)
			if !temp && (!complete || objects[e.Name()]) {
				continue
			}
			if err := os.Remove(filepath.Join(objRoot, e.Name())); err != nil {
				r.log.Warn("remove unused object", "path", filepath.Join(objRoot, e.Name()), "err", err)
				continue
			}
			removed++
		}
	}
	if removed > 0 {
		r.log.Info("collected unused snapshot files", "count", removed)
	}
}
