package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// The Go1 runtime's net/rpc messages. gob matches struct fields by name, not
// types by name, so these mirror tencentyun/scf-go-lib's messages package
// field for field (DESIGN.md "Go1 net/rpc messages").
type (
	goPingRequest  struct{}
	goPingResponse struct{}

	goDeadline struct {
		Seconds int64
		Nanos   int64
	}

	goInvokeRequest struct {
		Payload               []byte
		RequestId             string
		TraceId               string
		Deadline              goDeadline
		InvokedFunctionUnique string
		ClientContext         []byte
		Namespace             string
		FunctionName          string
		FunctionVersion       string
		MemoryLimitInMb       int32
		TimeLimitInMs         int32
		Environment           string
		TencentcloudRegion    string
		TencentcloudAppID     string
		TencentcloudUin       string
		FunctionTrace         string
	}

	goInvokeResponse struct {
		Payload []byte
		Error   *goInvokeError
	}

	goInvokeError struct {
		Message    string
		Type       string
		StackTrace []*goStackFrame
		ShouldExit bool
	}

	goStackFrame struct {
		Path  string
		Line  int32
		Label string
	}
)

// goDialTimeout bounds one connection attempt and one Ping during start.
const goDialTimeout = time.Second

// goInstance is a Go1 function: the user's binary serving net/rpc on
// _LAMBDA_SERVER_PORT.
type goInstance struct {
	instance
	client *rpc.Client
}

var _ Instance = (*goInstance)(nil)

func (p *Process) startGo(ctx context.Context, spec Spec, logger *slog.Logger) (Instance, error) {
	name := spec.Handler
	if name == "" {
		name = "main"
	}
	bin, err := findExecutable(spec.CodeDir, name)
	if err != nil {
		return nil, scferr.Newf(scferr.ErrContainerInit, nil, "go1 executable %q does not exist in %s or is not executable", name, spec.CodeDir)
	}
	port, err := freePort()
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot pick a port for the go1 function", err)
	}
	c, err := startChild(p.iso, spec, bin, nil, processEnv(spec, map[string]string{"_LAMBDA_SERVER_PORT": port}), logger)
	if err != nil {
		return nil, scferr.New(scferr.ErrContainerInit, "cannot start "+bin, err)
	}
	return awaitGo(ctx, spec, c, net.JoinHostPort("127.0.0.1", port), "port "+port, p.initTimeout, logger)
}

// awaitGo waits until the Go1 binary that r runs answers Function.Ping at
// addr, and returns the instance. where names the port for errors. On
// failure it stops r.
func awaitGo(ctx context.Context, spec Spec, r runner, addr, where string, timeout time.Duration, logger *slog.Logger) (Instance, error) {
	in := &goInstance{instance: instance{spec: spec, run: r}}
	probe := func(ctx context.Context) bool {
		in.client = dialGo(ctx, addr)
		return in.client != nil
	}
	err := waitReady(ctx, r, timeout, nil, probe, "go1 function")
	if errors.Is(err, errNotReady) {
		err = initFailed(r, "go1 function did not answer Function.Ping on %s within %s", where, timeout)
	}
	if err != nil {
		stopAfterFailedStart(ctx, in, logger)
		return nil, err
	}
	return in, nil
}

// dialGo connects to addr and pings; it returns nil unless Ping answers.
func dialGo(ctx context.Context, addr string) *rpc.Client {
	ctx, cancel := context.WithTimeout(ctx, goDialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	client := rpc.NewClient(conn)
	call := client.Go("Function.Ping", &goPingRequest{}, &goPingResponse{}, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error == nil {
			return client
		}
	case <-ctx.Done():
	}
	client.Close()
	return nil
}

// freePort returns a loopback port that was free a moment ago. Another
// process may take it before the function binds it; the start then fails
// and the caller may retry.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// Addr is "" for event functions.
func (in *goInstance) Addr() string { return "" }

// Invoke calls Function.Invoke. A handler error comes back in the response,
// not as an RPC error: it is a 430, or a 439 when the library asks to exit
// (a panic), or a 434 when the OOM killer took one of the code's processes.
func (in *goInstance) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	before := in.run.oomKills()
	res, err := in.invoke(ctx, inv)
	memMB, _ := specLimits(in.spec)
	return res, oomDuringInvoke(in.run, before, err, memMB)
}

// invoke is Invoke without the check for processes the OOM killer took.
func (in *goInstance) invoke(ctx context.Context, inv Invocation) (Result, error) {
	r := in.run
	if isDone(r) {
		return Result{}, exitedDuringInvoke(r)
	}
	memMB, timeoutMs := specLimits(in.spec)
	start := time.Now()
	deadline := start.Add(time.Duration(timeoutMs) * time.Millisecond)
	req := &goInvokeRequest{
		Payload:               inv.Event,
		RequestId:             inv.RequestID,
		Deadline:              goDeadline{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		InvokedFunctionUnique: fmt.Sprintf("qcs::scf:%s:uin/%s:namespace/%s/function/%s", scfRegion, scfUin, specNamespace(in.spec), in.spec.Function),
		Namespace:             specNamespace(in.spec),
		FunctionName:          in.spec.Function,
		FunctionVersion:       in.spec.Version,
		MemoryLimitInMb:       int32(memMB),
		TimeLimitInMs:         int32(timeoutMs),
		Environment:           contextEnvironment(in.spec),
		TencentcloudRegion:    scfRegion,
		TencentcloudAppID:     scfAppID,
		TencentcloudUin:       scfUin,
	}
	var resp goInvokeResponse
	out := r.output()
	out.startCapture(inv.RequestID)
	call := in.client.Go("Function.Invoke", req, &resp, make(chan *rpc.Call, 1))
	var res Result
	select {
	case <-call.Done:
	case <-ctx.Done():
		res.Duration = time.Since(start)
		res.Log = out.takeCapture()
		return res, ctx.Err()
	case <-r.done():
		res.Duration = time.Since(start)
		res.Log = out.takeCapture()
		return res, exitedDuringInvoke(r)
	}
	res.Duration = time.Since(start)
	if err := call.Error; err != nil {
		err = in.transportError(err)
		res.Log = out.takeCapture()
		return res, err
	}
	res.MemUsage = r.memUsage()
	r.flushOutput(inv.RequestID)
	res.Log = out.takeCapture()
	if e := resp.Error; e != nil {
		uerr := scferr.UserError(e.Type, e.Message, formatGoStack(e.StackTrace))
		if e.ShouldExit {
			// The library asks for this after a panic: the process is not
			// trusted to serve again, so the error is of the class that makes
			// the Manager discard the instance, with the panic as the trace.
			return res, &scferr.Error{Status: scferr.ErrProcessExit.Status, Message: scferr.ErrProcessExit.Message, StackTrace: uerr.StackTrace}
		}
		return res, uerr
	}
	res.Payload = resp.Payload
	return res, nil
}

// transportError classifies a failed RPC. A broken connection means the
// process is dying (or the instance is unusable): 439 either way, so the
// instance is discarded. A server-side error is a protocol mismatch.
func (in *goInstance) transportError(err error) error {
	var se rpc.ServerError
	if errors.As(err, &se) {
		return scferr.New(scferr.ErrInternal, "go1 function rejected the invocation", err)
	}
	// The exit usually follows the EOF closely; a container takes longer to
	// report it (and whether the OOM killer struck) than a process.
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	select {
	case <-in.run.done():
		return exitedDuringInvoke(in.run)
	case <-t.C:
		return scferr.New(scferr.ErrProcessExit, "user process exit when running (connection to the go1 function lost)", err)
	}
}

func formatGoStack(frames []*goStackFrame) string {
	var b strings.Builder
	for _, f := range frames {
		if f == nil {
			continue
		}
		fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Label, filepath.ToSlash(f.Path), f.Line)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Stop closes the RPC connection and terminates the code.
func (in *goInstance) Stop(ctx context.Context) error {
	if in.client != nil {
		in.client.Close()
	}
	return in.run.stop(ctx)
}
