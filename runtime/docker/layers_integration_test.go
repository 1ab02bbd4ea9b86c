//go:build unix

package docker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// layerFunction writes a Python function that imports from two layers and
// tries to write into /opt, and the two layers: base holds greet and
// shared, extra holds shared again (the earlier layer must win) and more.
func layerFunction(t *testing.T) (root string) {
	t.Helper()
	files := map[string]string{
		"code/index.py": `import os, greet, shared, more
def main_handler(event, context):
    try:
        open("/opt/written", "w").close()
        opt = "writable"
    except OSError:
        opt = "read-only"
    return {"greet": greet.hello(), "shared": shared.who, "more": more.what,
            "opt": opt, "pythonpath": os.environ.get("PYTHONPATH"), "nodepath": os.environ.get("NODE_PATH")}
`,
		"node/index.js": `const fs = require("fs");
exports.main_handler = async () => {
  let opt = "writable";
  try { fs.writeFileSync("/opt/written", "x"); } catch (e) { opt = "read-only"; }
  return {greet: require("nmod").hello(), opt, pythonpath: process.env.PYTHONPATH, nodepath: process.env.NODE_PATH};
};
`,
		"nodelayer/node_modules/nmod/index.js": "exports.hello = () => 'hello from node_modules';\n",
		"base/greet.py":                        "def hello():\n    return 'hello from a layer'\n",
		"base/shared.py":                       "who = 'base'\n",
		"extra/shared.py":                      "who = 'extra'\n",
		"extra/more.py":                        "what = 'more'\n",
	}
	root = t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestDockerLayers runs a Python function whose layers are mounted at /opt:
// it imports from both, the earlier layer wins a clash, /opt is read-only
// and the module path is the platform's. Bind mounts and copy mode (the
// remote engine's volumes) must agree.
func TestDockerLayers(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts DockerOptions
	}{
		{"bind mounts", DockerOptions{}},
		{"copy mode", DockerOptions{Remote: &RemoteEngine{Host: "127.0.0.1"}}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			d := newDockerTestRuntimeWith(t, mode.opts)
			needDebianImage(t, d)
			root := layerFunction(t)
			for _, tc := range []struct {
				name, runtime, code string
				layers              []string
				want                map[string]any
			}{
				{"python, two layers merged", "Python3.9", "code", []string{"base", "extra"}, map[string]any{
					"greet": "hello from a layer", "shared": "base", "more": "more", "pythonpath": "/var/user:/opt", "nodepath": nil}},
				{"node, one layer", "Nodejs16.13", "node", []string{"nodelayer"}, map[string]any{
					"greet": "hello from node_modules", "pythonpath": nil, "nodepath": "/opt/node_modules:/opt"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					spec := dockerSpec(filepath.Join(root, tc.code), tc.runtime, "event")
					spec.Handler = "index.main_handler"
					for _, l := range tc.layers {
						spec.Layers = append(spec.Layers, filepath.Join(root, l))
					}
					in := dockerStart(t, d, spec)
					res, err := dockerInvoke(t, in, `{}`)
					got := testutil.DecodePayload(t, res, err)
					for k, v := range tc.want {
						if got[k] != v {
							t.Errorf("%s = %v, want %v", k, got[k], v)
						}
					}
					if got["opt"] != "read-only" {
						t.Errorf("/opt is %v, want read-only", got["opt"])
					}
				})
			}
		})
	}
}
