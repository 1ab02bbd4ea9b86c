package instance

import (
	"context"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// exitedRunner is a runner whose code has exited with status.
type exitedRunner struct {
	oomRunner
	done   chan struct{}
	status string
}

func (r *exitedRunner) Done() <-chan struct{} { return r.done }
func (r *exitedRunner) Exit() ExitInfo        { return ExitInfo{Status: r.status} }

// A probe that hangs (a dial to the address of a container that is gone)
// ends when the code exits: the start fails with the exit, a 445, not at
// the init timeout.
func TestWaitReadyProbeEndsWithExit(t *testing.T) {
	r := &exitedRunner{oomRunner: oomRunner{out: NewOutput(nil)}, done: make(chan struct{}), status: "exit code 3"}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a hang guard
	defer cancel()
	probe := func(pctx context.Context) bool {
		close(r.done) // the code exits while the probe waits
		<-pctx.Done()
		if ctx.Err() != nil {
			t.Error("the probe ran until the hang guard ended, not until the code exited")
		}
		return false
	}
	err := waitReady(ctx, r, time.Hour, nil, probe, "scf_bootstrap")
	if got := scferr.Status(err); got != scferr.ErrContainerInit.Status {
		t.Fatalf("err %v (status %d), want the 445 of the exit", err, got)
	}
	if msg := scferr.As(err).Message; msg != "scf_bootstrap exited during initialization (exit code 3)" {
		t.Errorf("message %q", msg)
	}
}
