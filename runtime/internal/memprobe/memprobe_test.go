package memprobe

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemProbeOOMKills(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" = no file
		want    int64
	}{
		{"cgroup v1 oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", 2},
		{"cgroup v2 memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n", 1},
		{"kernel without the counter", "oom_kill_disable 0\nunder_oom 0\n", -1},
		{"file gone with the container", "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "events")
			if tc.content != "" {
				if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := (Probe{EventsFile: f}).OOMKills(); got != tc.want {
				t.Errorf("oomKills = %d, want %d", got, tc.want)
			}
		})
	}
	if got := (Probe{}).OOMKills(); got != -1 {
		t.Errorf("oomKills without a cgroup = %d, want -1", got)
	}
}
