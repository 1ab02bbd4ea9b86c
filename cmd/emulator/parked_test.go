package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/registry"
)

func TestParkedNotes(t *testing.T) {
	tests := []struct {
		name           string
		p              registry.Parked
		park, restored string
	}{
		{"nothing published", registry.Parked{Aliases: []string{registry.Default}},
			"(parked; add it back to restore)", "(restored)"},
		{"versions and aliases", registry.Parked{Versions: []string{"1", "2", "3"}, Aliases: []string{registry.Default, "prepub", "release"}},
			"(parked: versions 1-3, aliases prepub, release kept; add it back to restore)", "(restored: versions 1-3, aliases prepub, release)"},
		{"a gap and a trigger", registry.Parked{Versions: []string{"1", "2", "4", "6", "7"}, Triggers: []string{"tick"}},
			"(parked: versions 1-2, 4, 6-7, triggers tick kept; add it back to restore)", "(restored: versions 1-2, 4, 6-7, triggers tick)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parkedNote(tc.p); got != tc.park {
				t.Errorf("parkedNote = %q, want %q", got, tc.park)
			}
			if got := restoredNote(tc.p); got != tc.restored {
				t.Errorf("restoredNote = %q, want %q", got, tc.restored)
			}
		})
	}
}

func TestGCParkedRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		args    func(state string) []string
		locked  bool
		wantErr string
		wantOut string
	}{
		{"no state", func(string) []string { return []string{"--parked", "--state-dir", filepath.Join(t.TempDir(), "none")} }, false, "", "nothing is parked"},
		{"nothing parked", func(s string) []string { return []string{"--parked", "--state-dir", s} }, false, "", "nothing is parked in"},
		{"a name not parked", func(s string) []string { return []string{"--parked", "--state-dir", s, "hello"} }, false, "hello is not parked", ""},
		{"a running emulator", func(s string) []string { return []string{"--parked", "--state-dir", s} }, true, "in use by a running emulator", ""},
		{"with --all", func(s string) []string { return []string{"--parked", "--all", "--state-dir", s} }, false, "do not go together", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			reg, err := registry.Open(registry.Options{Dir: state})
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.CreateNamespace("ns", ""); err != nil { // writes state.json
				t.Fatal(err)
			}
			if !tc.locked {
				if err := reg.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				t.Cleanup(func() { _ = reg.Close() })
			}
			var out bytes.Buffer
			err = cmdGC(ctx, tc.args(state), &out, &out)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("gc: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("gc error = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tc.wantOut)
			}
			var ue usageError
			if tc.name == "with --all" && !errors.As(err, &ue) {
				t.Errorf("gc --parked --all: %T, want a usage error", err)
			}
		})
	}
}
