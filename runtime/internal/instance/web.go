package instance

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// webInstance is a web function (Type "http"): scf_bootstrap runs an HTTP
// server that the gateway proxies to. The platform uses port 9000; here each
// instance gets its own port in PORT, since several run side by side.
type webInstance struct {
	instance
	addr string
}

var _ runtime.Instance = (*webInstance)(nil)

// AwaitWeb waits until the web server that r runs accepts connections at
// probeAddr, and returns the instance serving at addr. where names the port
// for errors. On failure it stops r.
func AwaitWeb(ctx context.Context, spec runtime.Spec, r Runner, addr, probeAddr, where string, timeout time.Duration, logger *slog.Logger) (runtime.Instance, error) {
	in := &webInstance{instance: instance{spec: spec, run: r}, addr: addr}
	probe := func(ctx context.Context) bool { return listening(ctx, probeAddr) }
	if probeAddr == "" {
		probe = func(ctx context.Context) bool { return serving(ctx, addr) }
	}
	err := waitReady(ctx, r, timeout, nil, probe, "scf_bootstrap")
	if errors.Is(err, errNotReady) {
		err = scferr.New(scferr.ErrPortBinding,
			withTail("port binding failed: the http server did not listen on "+where+" within "+timeout.String(), r.Output().Tail()), nil)
	}
	if err != nil {
		stopAfterFailedStart(ctx, in, logger)
		return nil, err
	}
	// Start-up output has no invocation to belong to; it went to the log.
	r.Output().takeCapture()
	return in, nil
}

// listening reports whether a server accepts connections at addr.
func listening(ctx context.Context, addr string) bool {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// serving reports whether a server holds a connection to addr open while it
// waits for a request. A port proxy (docker-proxy in front of a published
// port) accepts at once and then closes, or resets, the connection while
// nothing listens behind it; listening would take that for ready.
func serving(ctx context.Context, addr string) bool {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(servingWait))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// servingWait is how long serving waits for a proxy to drop the connection.
const servingWait = 50 * time.Millisecond

// Addr is the web server's host:port.
func (in *webInstance) Addr() string { return in.addr }

// Invoke fails: web functions take HTTP requests at Addr, not events.
func (in *webInstance) Invoke(context.Context, runtime.Invocation) (runtime.Result, error) {
	return runtime.Result{}, scferr.New(scferr.ErrInvalidParameter, "invalid parameter value: web functions cannot be invoked with an event", nil)
}

// Stop terminates the code.
func (in *webInstance) Stop(ctx context.Context) error {
	return in.run.Stop(ctx)
}
