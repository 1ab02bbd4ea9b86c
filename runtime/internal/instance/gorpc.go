package instance

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

	"github.com/scf-emulator/emulator/runtime"
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

var _ runtime.Instance = (*goInstance)(nil)

// AwaitGo waits until the Go1 binary that r runs answers Function.Ping at
// addr, and returns the instance. where names the port for errors. On
// failure it stops r.
func AwaitGo(ctx context.Context, spec runtime.Spec, r Runner, addr, where string, timeout time.Duration, logger *slog.Logger) (runtime.Instance, error) {
	in := &goInstance{instance: instance{spec: spec, run: r}}
	probe := func(ctx context.Context) bool {
		in.client = DialGo(ctx, addr)
		return in.client != nil
	}
	err := waitReady(ctx, r, timeout, nil, probe, "go1 function")
	if errors.Is(err, errNotReady) {
		err = InitFailed(r, "go1 function did not answer Function.Ping on %s within %s", where, timeout)
	}
	if err != nil {
		stopAfterFailedStart(ctx, in, logger)
		return nil, err
	}
	return in, nil
}

// DialGo connects to addr and pings; it returns nil unless Ping answers.
func DialGo(ctx context.Context, addr string) *rpc.Client {
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

// FreePort returns a loopback port that was free a moment ago. Another
// process may take it before the function binds it; the start then fails
// and the caller may retry.
func FreePort() (string, error) {
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
func (in *goInstance) Invoke(ctx context.Context, inv runtime.Invocation) (runtime.Result, error) {
	before := in.run.OOMKills()
	res, err := in.invoke(ctx, inv)
	memMB, _ := SpecLimits(in.spec)
	return res, oomDuringInvoke(in.run, before, err, memMB)
}

// invoke is Invoke without the check for processes the OOM killer took.
func (in *goInstance) invoke(ctx context.Context, inv runtime.Invocation) (runtime.Result, error) {
	r := in.run
	if IsDone(r) {
		return runtime.Result{}, exitedDuringInvoke(r)
	}
	memMB, timeoutMs := SpecLimits(in.spec)
	start := time.Now()
	deadline := start.Add(time.Duration(timeoutMs) * time.Millisecond)
	req := &goInvokeRequest{
		Payload:               inv.Event,
		RequestId:             inv.RequestID,
		Deadline:              goDeadline{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		InvokedFunctionUnique: fmt.Sprintf("qcs::scf:%s:uin/%s:namespace/%s/function/%s", scfRegion, scfUin, SpecNamespace(in.spec), in.spec.Function),
		Namespace:             SpecNamespace(in.spec),
		FunctionName:          in.spec.Function,
		FunctionVersion:       in.spec.Version,
		MemoryLimitInMb:       int32(memMB),
		TimeLimitInMs:         int32(timeoutMs),
		Environment:           ContextEnvironment(in.spec),
		TencentcloudRegion:    scfRegion,
		TencentcloudAppID:     scfAppID,
		TencentcloudUin:       scfUin,
	}
	var resp goInvokeResponse
	out := r.Output()
	out.startCapture(inv.RequestID)
	call := in.client.Go("Function.Invoke", req, &resp, make(chan *rpc.Call, 1))
	var res runtime.Result
	select {
	case <-call.Done:
	case <-ctx.Done():
		res.Duration = time.Since(start)
		res.Log = out.takeCapture()
		return res, ctx.Err()
	case <-r.Done():
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
	res.MemUsage = r.MemUsage()
	r.FlushOutput(inv.RequestID)
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
	case <-in.run.Done():
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
	return in.run.Stop(ctx)
}
