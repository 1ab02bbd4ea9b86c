package process

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainStart: a bootstrap that names /var/lang is blamed on that path
// only when its failure does; a portable bootstrap that fell back to PATH and
// failed otherwise keeps its own error.
func TestExplainStart(t *testing.T) {
	boot := filepath.Join(t.TempDir(), "scf_bootstrap")
	script := "#!/bin/bash\nnode=$(ls /var/lang/node*/bin/node 2>/dev/null | head -n 1 || true)\n[[ -n $node ]] || node=node\nexec \"$node\" app.js\n"
	if err := os.WriteFile(boot, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cause   error
		explain bool
	}{
		{"no failure", nil, false},
		{"init timeout", errors.New("scf_bootstrap did not listen on port 4242 within 10s"), false},
		{"the path is missing", errors.New("scf_bootstrap exited during initialization (exit status 127): line 4: /var/lang/node16/bin/node: No such file or directory"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := explainStart(boot, tc.cause)
			switch {
			case tc.cause == nil && err != nil:
				t.Fatalf("err = %v, want nil", err)
			case tc.explain && (err == nil || !strings.Contains(err.Error(), "the platform's interpreter path")):
				t.Fatalf("err = %v, want the /var/lang explanation", err)
			case !tc.explain && err != tc.cause:
				t.Fatalf("err = %v, want the cause unchanged", err)
			}
		})
	}
}
