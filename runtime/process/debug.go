package process

import (
	"context"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// debugHost is where a debugger listens on the process runtime: loopback
// only, since a debugger runs any code its client sends.
const debugHost = "127.0.0.1"

// prepareDebug checks that the debugger spec needs is there and that its port
// is free (the instance of the code before a reload may still hold it).
func (p *Process) prepareDebug(ctx context.Context, spec runtime.Spec) error {
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http"):
	case strings.HasPrefix(rt, "python") && p.pythonErr == nil:
		if err := instance.CheckDebugpy(ctx, p.python); err != nil {
			return err
		}
	case rt == "go1":
		if _, err := instance.FindDelve(); err != nil {
			return err
		}
	}
	return instance.AwaitPortFree(ctx, debugHost, spec.DebugPort)
}
