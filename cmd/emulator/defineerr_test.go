package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An alias of the file that routes to a version the function does not have
// is a config error: its file:line and key, the function named once, exit
// code 2.
func TestUpAliasToMissingVersion(t *testing.T) {
	tests := []struct {
		name, alias string
		line        string
	}{
		{"primary", `release: {version: "7"}`, "emulator.yaml:7:"},
		{"weighted", `release: {version: $LATEST, weights: {"3": 0.1}}`, "emulator.yaml:7:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := workspace(t)
			body := strings.Replace(oneFunctionConfig, "release: {version: $LATEST}", tc.alias, 1)
			if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{"up", "-f", cfg, "--runtime", "process", "--state-dir", filepath.Join(t.TempDir(), "s"),
				"--gateway-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			msg := stderr.String()
			for _, s := range []string{tc.line, "functions.B.aliases.release", "does not exist", "only $LATEST"} {
				if !strings.Contains(msg, s) {
					t.Errorf("stderr lacks %q:\n%s", s, msg)
				}
			}
			if n := strings.Count(msg, "function B"); n > 1 {
				t.Errorf("the function is named %d times:\n%s", n, msg)
			}
			if strings.Contains(stdout.String(), "snapshot failed") {
				t.Errorf("the console blames the snapshot:\n%s", stdout.String())
			}
		})
	}
}
