package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/scferr"
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
			if got := (memProbe{eventsFile: f}).oomKills(); got != tc.want {
				t.Errorf("oomKills = %d, want %d", got, tc.want)
			}
		})
	}
	if got := (memProbe{}).oomKills(); got != -1 {
		t.Errorf("oomKills without a cgroup = %d, want -1", got)
	}
}

// oomRunner is a runner whose OOM kill counter the test sets.
type oomRunner struct {
	kills int64
	out   *output
}

func (r *oomRunner) done() <-chan struct{}      { return nil }
func (r *oomRunner) output() *output            { return r.out }
func (r *oomRunner) flushOutput(string)         {}
func (r *oomRunner) memUsage() int64            { return 0 }
func (r *oomRunner) oomKills() int64            { return r.kills }
func (r *oomRunner) exit() exitInfo             { return exitInfo{} }
func (r *oomRunner) stop(context.Context) error { return nil }

func TestOOMDuringInvoke(t *testing.T) {
	userErr := scferr.UserError("", "child failed", "")
	tests := []struct {
		name          string
		before, after int64
		err           error
		want          int // status
	}{
		{"a child killed turns the handler's error into a 434", 0, 1, userErr, 434},
		{"no kill during the invocation", 1, 1, userErr, 430},
		{"counter unknown", -1, -1, userErr, 430},
		{"success stays a success", 0, 1, nil, 200},
		{"a timeout stays a timeout", 0, 1, context.DeadlineExceeded, 500},
		{"a memory error is kept", 0, 1, scferr.New(scferr.ErrMemory, "memory limit reached: OOM killed", nil), 434},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &oomRunner{kills: tc.after, out: newOutput(nil)}
			err := oomDuringInvoke(r, tc.before, tc.err, 64)
			if got := scferr.Status(err); got != tc.want {
				t.Fatalf("status %d (%v), want %d", got, err, tc.want)
			}
			if tc.want == 434 && tc.err == userErr {
				e := scferr.As(err)
				if !strings.Contains(e.Message, "64 MB") || !strings.Contains(e.StackTrace, "child failed") {
					t.Errorf("434 message %q / stack %q, want the limit and the handler's error", e.Message, e.StackTrace)
				}
			}
		})
	}
}
