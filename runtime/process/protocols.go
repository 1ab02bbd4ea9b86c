package process

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"strconv"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/scferr"
)

// startAPI starts path with args behind a fresh runtime API server on
// loopback and waits for /runtime/init/ready.
func (p *Process) startAPI(ctx context.Context, spec runtime.Spec, logger *slog.Logger, path string, args []string, extraEnv map[string]string) (runtime.Instance, error) {
	api, err := instance.NewAPIServer("127.0.0.1", logger)
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start the runtime api", err)
	}
	env := map[string]string{
		"SCF_RUNTIME_API":      api.Host(),
		"SCF_RUNTIME_API_PORT": api.Port(),
	}
	maps.Copy(env, extraEnv)
	c, err := startChild(p.iso, spec, path, args, instance.ProcessEnv(spec, env), logger)
	if err != nil {
		api.Close()
		return nil, startError(path, err)
	}
	return instance.AwaitAPI(ctx, spec, c, api, p.initTimeout, extraEnv[instance.MarkEnv], logger)
}

func (p *Process) startGo(ctx context.Context, spec runtime.Spec, logger *slog.Logger) (runtime.Instance, error) {
	name := spec.Handler
	if name == "" {
		name = "main"
	}
	bin, err := instance.FindExecutable(spec.CodeDir, name)
	if err != nil {
		return nil, scferr.Newf(scferr.ErrContainerInit, nil, "go1 executable %q does not exist in %s or is not executable", name, spec.CodeDir)
	}
	port, err := instance.FreePort()
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot pick a port for the go1 function", err)
	}
	path, args := bin, []string(nil)
	if spec.DebugPort > 0 {
		if path, err = instance.FindDelve(); err != nil {
			return nil, err
		}
		args = instance.DelveArgs(spec, debugHost, bin)
	}
	c, err := startChild(p.iso, spec, path, args, instance.ProcessEnv(spec, map[string]string{"_LAMBDA_SERVER_PORT": port}), logger)
	if err != nil {
		return nil, startError(bin, err)
	}
	return instance.AwaitGo(ctx, spec, c, net.JoinHostPort("127.0.0.1", port), "port "+port, p.initTimeout, logger)
}

func (p *Process) startWeb(ctx context.Context, spec runtime.Spec, logger *slog.Logger) (runtime.Instance, error) {
	boot, err := instance.FindExecutable(spec.CodeDir, "scf_bootstrap")
	if err != nil {
		return nil, err
	}
	port, err := instance.FreePort()
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot pick a port for the web function", err)
	}
	c, err := startChild(p.iso, spec, boot, nil, instance.ProcessEnv(spec, map[string]string{"PORT": port}), logger)
	if err != nil {
		return nil, startError(boot, err)
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	if port == strconv.Itoa(p.platformPort) {
		in, err := instance.AwaitWeb(ctx, spec, c, addr, addr, "port "+port+" (from $PORT)", p.initTimeout, logger)
		return in, explainStart(boot, err)
	}
	wctx, stopWatch := watchPlatformPort(ctx, c, p.platformPort)
	in, err := instance.AwaitWeb(wctx, spec, c, addr, addr, "port "+port+" (from $PORT)", p.initTimeout, logger)
	if fired := stopWatch(); err != nil {
		return nil, explainStart(boot, asPlatformPortError(ctx, err, fired, p.platformPort, port))
	}
	return in, nil
}
