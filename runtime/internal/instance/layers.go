package instance

import (
	"path/filepath"
	"strings"
)

// LayerEnv puts layer trees on the module path after the function's own
// code, as the platform does with /opt (scf-behaviour.md "Runtime
// environment details": PYTHONPATH=/var/user:/opt). codeRoot is where the
// function sees its code, layers where it sees the layer trees, in order.
// Node looks in each layer's node_modules and then its root.
func LayerEnv(runtime, codeRoot string, layers []string) map[string]string {
	if len(layers) == 0 {
		return nil
	}
	switch {
	case strings.HasPrefix(runtime, "Python"):
		return map[string]string{"PYTHONPATH": strings.Join(append([]string{codeRoot}, layers...), string(filepath.ListSeparator))}
	case strings.HasPrefix(runtime, "Nodejs"):
		var paths []string
		for _, l := range layers {
			paths = append(paths, filepath.Join(l, "node_modules"), l)
		}
		return map[string]string{"NODE_PATH": strings.Join(paths, string(filepath.ListSeparator))}
	}
	return nil
}
