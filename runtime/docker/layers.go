package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/scferr"
)

// containerLayerDir is where a function sees its layers, merged, read-only,
// as on the platform (scf-behaviour.md "Runtime environment details").
const containerLayerDir = "/opt"

// tmpMergePrefix names merged trees being built; newer runs remove those a
// crash left.
const tmpMergePrefix = ".tmp-"

// layerEnv is the module path of spec's layers inside the container:
// PYTHONPATH=/var/user:/opt, NODE_PATH=/opt/node_modules:/opt. Without
// layers it is empty, leaving the image's module path alone.
func layerEnv(spec runtime.Spec) map[string]string {
	if len(spec.Layers) == 0 {
		return nil
	}
	return instance.LayerEnv(spec.Runtime, containerCodeDir, []string{containerLayerDir})
}

// layerTree returns the host folder that is mounted at /opt for spec: ""
// without layers, the tree itself for one layer, and for several a tree
// merged in order. The layer trees are immutable snapshots, so a merged tree
// is keyed by their paths and built once; it is made of hard links (a copy
// where linking fails), like the registry's own trees.
func (d *Docker) layerTree(spec runtime.Spec) (string, error) {
	switch len(spec.Layers) {
	case 0:
		return "", nil
	case 1:
		return spec.Layers[0], nil
	}
	sum := sha256.Sum256([]byte(strings.Join(spec.Layers, "\x00")))
	dst := filepath.Join(d.mergeDir(), hex.EncodeToString(sum[:12]))
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(d.mergeDir(), 0o755); err != nil {
		return "", scferr.New(scferr.ErrContainerInit, "cannot merge the function's layers", err)
	}
	tmp, err := os.MkdirTemp(d.mergeDir(), tmpMergePrefix)
	if err != nil {
		return "", scferr.New(scferr.ErrContainerInit, "cannot merge the function's layers", err)
	}
	if err := mergeLayers(tmp, spec.Layers); err != nil {
		os.RemoveAll(tmp)
		return "", scferr.New(scferr.ErrContainerInit, "cannot merge the function's layers", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700
		os.RemoveAll(tmp)
		return "", scferr.New(scferr.ErrContainerInit, "cannot merge the function's layers", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		// Another start built the same tree first: theirs is as good.
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dst); serr != nil {
			return "", scferr.New(scferr.ErrContainerInit, "cannot merge the function's layers", err)
		}
	}
	return dst, nil
}

// mergeDir holds merged layer trees, beside the work dir rather than in it:
// the work dir is mounted into every container.
func (d *Docker) mergeDir() string { return d.workDir + "-layers" }

// cleanMergeDir removes merged trees a crashed run left half built.
func (d *Docker) cleanMergeDir() {
	entries, _ := os.ReadDir(d.mergeDir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpMergePrefix) {
			os.RemoveAll(filepath.Join(d.mergeDir(), e.Name()))
		}
	}
}

// mergeLayers fills dst with the files of layers in order. A path that an
// earlier layer holds already is kept: the earlier layer wins, as it does
// on the module path of the process runtime (PYTHONPATH=code:l1:l2).
func mergeLayers(dst string, layers []string) error {
	for _, src := range layers {
		err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil || rel == "." {
				return err
			}
			to := filepath.Join(dst, rel)
			fi, lerr := os.Lstat(to)
			switch {
			case e.IsDir():
				if lerr == nil && !fi.IsDir() {
					return fs.SkipDir // an earlier layer has a file there
				}
				if lerr != nil {
					return os.Mkdir(to, 0o755)
				}
				return nil
			case lerr == nil || !e.Type().IsRegular():
				return nil // earlier layer wins; snapshots hold regular files only
			}
			return instance.LinkOrCopy(p, to)
		})
		if err != nil {
			return fmt.Errorf("layer %s: %w", src, err)
		}
	}
	return nil
}
