package instance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/scferr"
)

// TestFindExecutableExplainsUnrunnableBootstraps: a bootstrap the kernel
// cannot execute fails its start with a 445 naming the fault, where the
// exec itself says only "no such file or directory" (a #! line ending in
// \r names an interpreter "/bin/bash\r") or "exec format error". The
// platform's docs ask for LF line endings and #!/bin/bash on scripts.
func TestFindExecutableExplainsUnrunnableBootstraps(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // in the error; "" for none
	}{
		{"script", "#!/bin/bash\nexec python3 app.py\n", ""},
		{"script with a space", "#! /bin/sh\nexec node app.js\n", ""},
		{"linux binary", "\x7fELF\x02\x01\x01\x00", ""},
		{"windows line endings", "#!/bin/bash\r\nexec python3 app.py\r\n", "Windows line endings"},
		{"no #!", "exec python3 app.py\n", "#!/bin/bash"},
		{"utf-8 bom before #!", "\ufeff#!/bin/bash\nexec python3 app.py\n", "#!/bin/bash"},
		{"empty", "", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "scf_bootstrap"), []byte(tc.content), 0o755); err != nil {
				t.Fatal(err)
			}
			path, err := FindExecutable(dir, "scf_bootstrap")
			if tc.want == "" {
				if err != nil || path != filepath.Join(dir, "scf_bootstrap") {
					t.Fatalf("FindExecutable = %q, %v; want the bootstrap", path, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "scf_bootstrap") {
				t.Fatalf("FindExecutable error = %v, want one naming scf_bootstrap and %q", err, tc.want)
			}
			if !errors.Is(err, scferr.ErrContainerInit) {
				t.Errorf("error %v is not a 445 (ErrContainerInit)", err)
			}
		})
	}
}
