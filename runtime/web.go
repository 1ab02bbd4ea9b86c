package runtime

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/scf-emulator/emulator/scferr"
)

// webInstance is a web function (Type "http"): scf_bootstrap runs an HTTP
// server that the gateway proxies to. The platform uses port 9000; here each
// instance gets its own port in PORT, since several run side by side.
type webInstance struct {
	instance
	addr string
}

var _ Instance = (*webInstance)(nil)

func (p *Process) startWeb(ctx context.Context, spec Spec, logger *slog.Logger) (Instance, error) {
	boot, err := findExecutable(spec.CodeDir, "scf_bootstrap")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot pick a port for the web function", err)
	}
	c, err := startChild(boot, nil, spec.CodeDir, processEnv(spec, map[string]string{"PORT": port}), logger)
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start "+boot, err)
	}
	in := &webInstance{instance: instance{spec: spec, child: c}, addr: net.JoinHostPort("127.0.0.1", port)}
	err = waitReady(ctx, c, p.initTimeout, nil, in.listening, "scf_bootstrap")
	if errors.Is(err, errNotReady) {
		err = scferr.New(scferr.ErrPortBinding,
			withTail("port binding failed: the http server did not listen on port "+port+" (from $PORT) within "+p.initTimeout.String(), c.out.tail()), nil)
	}
	if err != nil {
		if serr := in.Stop(ctx); serr != nil {
			logger.Warn("stop after failed start", "err", serr)
		}
		return nil, err
	}
	// Start-up output has no invocation to belong to; it went to the log.
	c.out.takeCapture()
	return in, nil
}

// listening reports whether the web server accepts connections.
func (in *webInstance) listening(ctx context.Context) bool {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", in.addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Addr is the web server's host:port.
func (in *webInstance) Addr() string { return in.addr }

// Invoke fails: web functions take HTTP requests at Addr, not events.
func (in *webInstance) Invoke(context.Context, Invocation) (Result, error) {
	return Result{}, scferr.New(scferr.ErrInvalidParameter, "invalid parameter value: web functions cannot be invoked with an event", nil)
}

// Stop terminates the process group.
func (in *webInstance) Stop(ctx context.Context) error {
	return in.child.stop(ctx)
}
