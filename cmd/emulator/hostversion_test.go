package main

import (
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/registry"
)

// TestHostVersionNote: the banner's warning lists the functions whose host
// interpreter differs from their runtime's version among those that run on
// the process runtime, which includes, under --runtime auto with Docker,
// the functions that fell back to it for want of their image.
func TestHostVersionNote(t *testing.T) {
	if interpreterVersion(t.Context(), "python3") == "" {
		t.Skip("python3 is not on PATH")
	}
	fn := func(name, rt string) registry.Function {
		f := registry.Function{Name: name}
		f.Config.Runtime = rt
		return f
	}
	old, other := fn("old", "Python3.6"), fn("other", "Python3.7") // no host runs 3.6 and 3.7 at once
	tests := []struct {
		name      string
		onProcess map[string]bool
		want      []string // in the note
		not       []string
	}{
		{"all on docker", map[string]bool{}, nil, nil},
		{"all on the process runtime", map[string]bool{"old": true, "other": true}, []string{"Python3.6 on the host's python3"}, nil},
		{"one fell back to the process runtime", map[string]bool{"old": true}, []string{"Python3.6 on the host's python3"}, []string{"Python3.7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			note := hostVersionNote(t.Context(), []registry.Function{old, other}, func(f registry.Function) bool { return tc.onProcess[f.Name] })
			if tc.want == nil && note != "" {
				t.Fatalf("note = %q, want none", note)
			}
			for _, w := range tc.want {
				if !strings.Contains(note, w) {
					t.Errorf("note = %q, want it to name %q", note, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(note, n) {
					t.Errorf("note = %q names %q, which runs on docker", note, n)
				}
			}
		})
	}
}
