package instance

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/scf-emulator/emulator/runtime"
)

// apiInstance is an event function that speaks the Custom Runtime API: the
// embedded Python and Node.js bootstraps, and CustomRuntime bootstraps.
type apiInstance struct {
	instance
	api *APIServer
}

var _ runtime.Instance = (*apiInstance)(nil)

// AwaitAPI waits until the bootstrap that r runs calls /runtime/init/ready
// on api, and returns the instance. mark is the marker prefix given to an
// embedded bootstrap, which writes its own end markers; "" for code that
// writes none. On failure it stops r and closes api.
func AwaitAPI(ctx context.Context, spec runtime.Spec, r Runner, api *APIServer, timeout time.Duration, mark string, logger *slog.Logger) (runtime.Instance, error) {
	if mark != "" {
		r.Output().codeMarks(mark)
	}
	in := &apiInstance{instance: instance{spec: spec, run: r}, api: api}
	err := waitReady(ctx, r, timeout, api.ready, nil, "function bootstrap")
	if errors.Is(err, errNotReady) {
		err = InitFailed(r, "function bootstrap did not call /runtime/init/ready within %s", timeout)
	}
	if err != nil {
		stopAfterFailedStart(ctx, in, logger)
		return nil, err
	}
	return in, nil
}

// Addr is "" for event functions.
func (in *apiInstance) Addr() string { return "" }

// Invoke hands the event to the bootstrap's /next poll and waits for its
// response or error post. A failure after the OOM killer took one of the
// code's processes is a 434 (see oomDuringInvoke).
func (in *apiInstance) Invoke(ctx context.Context, inv runtime.Invocation) (runtime.Result, error) {
	before := in.run.OOMKills()
	res, err := in.invoke(ctx, inv)
	memMB, _ := SpecLimits(in.spec)
	return res, oomDuringInvoke(in.run, before, err, memMB)
}

// invoke is Invoke without the check for processes the OOM killer took.
func (in *apiInstance) invoke(ctx context.Context, inv runtime.Invocation) (runtime.Result, error) {
	r := in.run
	if IsDone(r) {
		return runtime.Result{}, exitedDuringInvoke(r)
	}
	memMB, timeoutMs := SpecLimits(in.spec)
	call := newAPICall(inv, memMB, timeoutMs)
	out := r.Output()
	out.startCapture(inv.RequestID)
	var res runtime.Result
	// fail ends the invocation; a nil err means the code exited.
	fail := func(err error) (runtime.Result, error) {
		if err == nil {
			err = exitedDuringInvoke(r)
		}
		res.Log = out.takeCapture()
		return res, err
	}

	select {
	case in.api.next <- call:
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-r.Done():
		return fail(nil)
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		// The result may have arrived at the same moment; it is lost either
		// way, because the caller must discard the instance now.
		call.deliver()
		res.Duration = time.Since(call.deliveredAt)
		return fail(ctx.Err())
	case <-r.Done():
		select {
		case <-call.done: // answered, then exited: the answer counts
		default:
			return fail(nil)
		}
	}
	call.deliver() // orders the read of deliveredAt after its write
	res.Duration = call.finishedAt.Sub(call.deliveredAt)
	res.MemUsage = r.MemUsage()
	r.FlushOutput(inv.RequestID)
	res.Log = out.takeCapture()
	if call.err != nil {
		return res, call.err
	}
	res.Payload = call.payload
	return res, nil
}

// Stop terminates the code, then closes the runtime API server.
func (in *apiInstance) Stop(ctx context.Context) error {
	err := in.run.Stop(ctx)
	in.api.Close()
	return err
}
