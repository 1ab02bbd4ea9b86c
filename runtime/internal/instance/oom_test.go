package instance

import (
	"context"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/scferr"
)

// oomRunner is a runner whose OOM kill counter the test sets.
type oomRunner struct {
	kills int64
	out   *Output
}

func (r *oomRunner) Done() <-chan struct{}      { return nil }
func (r *oomRunner) Output() *Output            { return r.out }
func (r *oomRunner) FlushOutput(string)         {}
func (r *oomRunner) MemUsage() int64            { return 0 }
func (r *oomRunner) OOMKills() int64            { return r.kills }
func (r *oomRunner) Exit() ExitInfo             { return ExitInfo{} }
func (r *oomRunner) Stop(context.Context) error { return nil }

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
			r := &oomRunner{kills: tc.after, out: NewOutput(nil)}
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
