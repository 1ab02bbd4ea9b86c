package docker

import (
	"errors"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
)

// TestCanDebugPython: a Python function can be debugged in the emulator's
// Debian image only when the build labelled it as having debugpy, and in an
// image of the user's own always; a present official python image without
// the label decides over the Debian fallback.
func TestCanDebugPython(t *testing.T) {
	tests := []struct {
		name    string
		images  map[string]bool              // present besides the defaults
		labels  map[string]map[string]string // image -> labels
		image   string                       // the function's image:
		wantErr string                       // "" allowed
	}{
		{"debian image with debugpy", nil, map[string]map[string]string{DebianRuntimeImage: {debugpyLabel: "1.6.6+ds-1"}}, "", ""},
		{"debian image without debugpy", nil, nil, "", "rebuild it with `emulator images --build --only debian --force`"},
		{"the user's image", nil, nil, "my/python:dbg", ""},
		{"official python image present, unlabelled", map[string]bool{"python:3.9-slim": true},
			map[string]map[string]string{DebianRuntimeImage: {debugpyLabel: "1"}}, "", "python:3.9-slim"},
		{"debian image missing", map[string]bool{DebianRuntimeImage: false}, nil, "", "has no debugpy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t, nil)
			for ref, ok := range tc.images {
				f.images[ref] = ok
			}
			f.labels = tc.labels
			d := newFakeRuntime(t, f, DockerOptions{})
			spec := runtime.Spec{Function: "B", Version: "$LATEST", Runtime: "Python3.9", Type: "event", Image: tc.image, DebugPort: 5678}
			err := d.CanDebug(spec)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CanDebug = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !errors.Is(err, ErrCannotDebug) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("CanDebug = %v, want ErrCannotDebug naming %q", err, tc.wantErr)
			}
		})
	}
}
