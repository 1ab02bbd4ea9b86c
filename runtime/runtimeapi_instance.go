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

// startAPI starts path with args behind a fresh runtime API server and
// waits for /runtime/init/ready.
func (p *Process) startAPI(ctx context.Context, spec Spec, logger *slog.Logger, path string, args []string, extraEnv map[string]string) (Instance, error) {
	api, err := newAPIServer(logger)
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start the runtime api", err)
	}
	env := map[string]string{
		"SCF_RUNTIME_API":      "127.0.0.1",
		"SCF_RUNTIME_API_PORT": api.port(),
	}
	maps.Copy(env, extraEnv)
	c, err := startChild(path, args, spec.CodeDir, processEnv(spec, env), logger)
	if err != nil {
		api.close()
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start "+path, err)
	}
	in := &apiInstance{instance: instance{spec: spec, child: c}, api: api}
	err = waitReady(ctx, c, p.initTimeout, api.ready, nil, "function bootstrap")
	if errors.Is(err, errNotReady) {
		err = c.initFailed("function bootstrap did not call /runtime/init/ready within %s", p.initTimeout)
	}
	if err != nil {
		if serr := in.Stop(ctx); serr != nil {
			logger.Warn("stop after failed start", "err", serr)
		}
		return nil, err
	}
	return in, nil
}

// Addr is "" for event functions.
func (in *apiInstance) Addr() string { return "" }

// Invoke hands the event to the bootstrap's /next poll and waits for its
// response or error post.
func (in *apiInstance) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	c := in.child
	if c.isExited() {
		return Result{}, c.exitedDuringInvoke()
	}
	memMB, timeoutMs := specLimits(in.spec)
	call := newAPICall(inv, memMB, timeoutMs)
	c.out.startCapture()
	var res Result
	// fail ends the invocation; a nil err means the process exited.
	fail := func(err error) (Result, error) {
		if err == nil {
			err = c.exitedDuringInvoke()
		}
		res.Log = c.out.takeCapture()
		return res, err
	}

	select {
	case in.api.next <- call:
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-c.exited:
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
	case <-c.exited:
		select {
		case <-call.done: // answered, then exited: the answer counts
		default:
			return fail(nil)
		}
	}
	call.deliver() // orders the read of deliveredAt after its write
	res.Duration = call.finishedAt.Sub(call.deliveredAt)
	res.MemUsage = memUsage(c.pid)
	c.flushOutput()
	res.Log = c.out.takeCapture()
	if call.err != nil {
		return res, call.err
	}
	res.Payload = call.payload
	return res, nil
}

// Stop terminates the process group, then closes the runtime API server.
func (in *apiInstance) Stop(ctx context.Context) error {
	err := in.child.stop(ctx)
	in.api.close()
	return err
}
