package runtime

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// apiInstance is an event function that speaks the Custom Runtime API: the
// embedded Python and Node.js bootstraps, and CustomRuntime bootstraps.
type apiInstance struct {
	instance
	api *apiServer
}

var _ Instance = (*apiInstance)(nil)

// startAPI starts path with args behind a fresh runtime API server on
// loopback and waits for /runtime/init/ready.
func (p *Process) startAPI(ctx context.Context, spec Spec, logger *slog.Logger, path string, args []string, extraEnv map[string]string) (Instance, error) {
	api, err := newAPIServer("127.0.0.1", logger)
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start the runtime api", err)
	}
	env := map[string]string{
		"SCF_RUNTIME_API":      api.host(),
		"SCF_RUNTIME_API_PORT": api.port(),
	}
	maps.Copy(env, extraEnv)
	c, err := startChild(p.iso, spec, path, args, processEnv(spec, env), logger)
	if err != nil {
		api.close()
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start "+path, err)
	}
	return awaitAPI(ctx, spec, c, api, p.initTimeout, extraEnv[markEnv], logger)
}

// awaitAPI waits until the bootstrap that r runs calls /runtime/init/ready
// on api, and returns the instance. mark is the marker prefix given to an
// embedded bootstrap, which writes its own end markers; "" for code that
// writes none. On failure it stops r and closes api.
func awaitAPI(ctx context.Context, spec Spec, r runner, api *apiServer, timeout time.Duration, mark string, logger *slog.Logger) (Instance, error) {
	if mark != "" {
		r.output().codeMarks(mark)
	}
	in := &apiInstance{instance: instance{spec: spec, run: r}, api: api}
	err := waitReady(ctx, r, timeout, api.ready, nil, "function bootstrap")
	if errors.Is(err, errNotReady) {
		err = initFailed(r, "function bootstrap did not call /runtime/init/ready within %s", timeout)
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
func (in *apiInstance) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	before := in.run.oomKills()
	res, err := in.invoke(ctx, inv)
	memMB, _ := specLimits(in.spec)
	return res, oomDuringInvoke(in.run, before, err, memMB)
}

// invoke is Invoke without the check for processes the OOM killer took.
func (in *apiInstance) invoke(ctx context.Context, inv Invocation) (Result, error) {
	r := in.run
	if isDone(r) {
		return Result{}, exitedDuringInvoke(r)
	}
	memMB, timeoutMs := specLimits(in.spec)
	call := newAPICall(inv, memMB, timeoutMs)
	out := r.output()
	out.startCapture(inv.RequestID)
	var res Result
	// fail ends the invocation; a nil err means the code exited.
	fail := func(err error) (Result, error) {
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
	case <-r.done():
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
	case <-r.done():
		select {
		case <-call.done: // answered, then exited: the answer counts
		default:
			return fail(nil)
		}
	}
	call.deliver() // orders the read of deliveredAt after its write
	res.Duration = call.finishedAt.Sub(call.deliveredAt)
	res.MemUsage = r.memUsage()
	r.flushOutput(inv.RequestID)
	res.Log = out.takeCapture()
	if call.err != nil {
		return res, call.err
	}
	res.Payload = call.payload
	return res, nil
}

// Stop terminates the code, then closes the runtime API server.
func (in *apiInstance) Stop(ctx context.Context) error {
	err := in.run.stop(ctx)
	in.api.close()
	return err
}
