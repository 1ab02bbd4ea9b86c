package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/reqlog"
)

// TestRecordedRequestsReplay: requests sent through the gateway come back
// from `emulator logs --requests` as JSON lines, credentials masked, and
// `emulator replay` of that file against versions 1 and 2 reports the
// changed field with its share.
func TestRecordedRequestsReplay(t *testing.T) {
	app := diffApp(t) // users 0..39 went through the gateway
	for i := 40; i < 48; i++ {
		a := get(t, fmt.Sprintf("%s/release/users/%d?src=e2e", app.GatewayURL(), i), map[string]string{"Authorization": "Bearer s3cret", "X-User": "bob"})
		if a.Status != 200 {
			t.Fatalf("request %d: %d %s", i, a.Status, a.Raw)
		}
	}

	code, out, errOut := runCLI(t, "logs", "D", "--requests", "-n", "8", "--since", "10m", "--endpoint", app.AdminURL())
	if code != 0 {
		t.Fatalf("logs --requests: exit %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 {
		t.Fatalf("logs --requests -n 8 printed %d lines:\n%s", len(lines), out)
	}
	for i, line := range lines {
		var l reqlog.Line
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		want := fmt.Sprintf("/users/%d?src=e2e", 40+i)
		if l.Function != "D" || l.Qualifier != "release" || l.Method != "GET" || l.Path != want || l.Stage != "release" || l.Host == "" {
			t.Errorf("line %d = %+v, want GET %s of D on release with its host", i, l, want)
		}
		if l.Header.Get("Authorization") != diff.Masked || l.Header.Get("X-User") != "bob" {
			t.Errorf("line %d headers %v, want Authorization masked and X-User kept", i, l.Header)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("a credential was printed:\n%s", out)
	}

	file := filepath.Join(t.TempDir(), "recorded.jsonl")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	// No --stage: the file says where the requests came in.
	code, rep := cli(t, app.AdminURL(), "replay", file, "--to-version", "2", "--compare-version", "1", "--max-diff-rate", "0.5")
	t.Logf("replay:\n%s", rep)
	for _, want := range []string{"D version 2 vs 1: 8 requests compared, 2 differ (25.0%)", "GET /users/{id}",
		"$.user.name  changed  2 requests (25.0%)", "noise $.ts"} {
		if !strings.Contains(rep, want) {
			t.Errorf("replay output lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("replay within --max-diff-rate 0.5: exit %d", code)
	}
}

// TestLogsRequestsFlags: bad combinations are refused before any request.
func TestLogsRequestsFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"qualifier", []string{"logs", "D", "--requests", "-q", "release"}, "-q is for invocation logs"},
		{"since without requests", []string{"logs", "D", "--since", "10m"}, "--since is for --requests"},
		{"negative since", []string{"logs", "D", "--requests", "--since", "-1m"}, "--since -1m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := cli(t, "http://127.0.0.1:1", tc.args...)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d %q, want 2 and %q", code, out, tc.want)
			}
		})
	}
}
