package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/rpc"
	"reflect"
	"runtime/debug"
	"sync"
	"time"
)

// The message types mirror scf-go-lib's cloudfunction/messages. gob matches
// struct fields by name, so the field names (not the type names) are the
// protocol and must not change.

// PingRequest is the argument of Function.Ping.
type PingRequest struct{}

// PingResponse is the reply of Function.Ping.
type PingResponse struct{}

// Timestamp is an absolute deadline in Unix seconds and nanoseconds.
type Timestamp struct {
	Seconds int64
	Nanos   int64
}

// InvokeRequest is the argument of Function.Invoke: one event plus its context.
type InvokeRequest struct {
	Payload               []byte
	RequestId             string
	TraceId               string
	Deadline              Timestamp
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

// InvokeResponse is the reply of Function.Invoke. A handler error travels in
// Error, not as an RPC error.
type InvokeResponse struct {
	Payload []byte
	Error   *InvokeError
}

// InvokeError describes a failed invocation.
type InvokeError struct {
	Message    string
	Type       string
	StackTrace []*StackFrame
	ShouldExit bool
}

// StackFrame is one frame of a panic's stack trace.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

// invocation is the context a handler gets besides the event payload.
type invocation struct {
	RequestID       string
	Namespace       string
	FunctionName    string
	FunctionVersion string
	MemoryLimitInMb int32
	TimeLimitInMs   int32
}

// handlerFunc turns one event payload (JSON) into the return value (JSON).
type handlerFunc func(ctx context.Context, inv invocation, payload []byte) ([]byte, error)

// Function is the net/rpc receiver. The service name "Function" is part of the
// protocol, so it is registered under that name explicitly.
type Function struct {
	ctx     context.Context // lifetime of the server; parent of every invocation
	handler handlerFunc
}

// Ping answers the runtime's liveness probe.
func (f *Function) Ping(_ *PingRequest, resp *PingResponse) error {
	*resp = PingResponse{}
	return nil
}

// Invoke runs the handler for one event. A panic is reported like scf-go-lib
// does, with ShouldExit set so the runtime replaces this process.
func (f *Function) Invoke(req *InvokeRequest, resp *InvokeResponse) (err error) {
	defer func() {
		if p := recover(); p != nil {
			resp.Payload = nil
			resp.Error = &InvokeError{
				Message:    fmt.Sprint(p),
				Type:       "panic",
				StackTrace: []*StackFrame{{Label: string(debug.Stack())}},
				ShouldExit: true,
			}
		}
	}()

	ctx := f.ctx
	if req.Deadline.Seconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(req.Deadline.Seconds, req.Deadline.Nanos))
		defer cancel()
	}
	inv := invocation{
		RequestID:       req.RequestId,
		Namespace:       req.Namespace,
		FunctionName:    req.FunctionName,
		FunctionVersion: req.FunctionVersion,
		MemoryLimitInMb: req.MemoryLimitInMb,
		TimeLimitInMs:   req.TimeLimitInMs,
	}
	payload, herr := f.handler(ctx, inv, req.Payload)
	if herr != nil {
		resp.Error = &InvokeError{Message: herr.Error(), Type: errorType(herr)}
		return nil
	}
	if !json.Valid(payload) {
		resp.Error = &InvokeError{Message: "handler returned invalid json", Type: "MarshalError"}
		return nil
	}
	resp.Payload = payload
	return nil
}

// errorType names the error's type without package or pointer, as
// scf-go-lib reports it (e.g. "errorString", "wrapError").
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// serve answers RPCs on lis until ctx ends, then closes lis and every open
// connection and waits for their goroutines.
func serve(ctx context.Context, lis net.Listener, h handlerFunc) error {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Function", &Function{ctx: ctx, handler: h}); err != nil {
		return fmt.Errorf("register rpc service: %w", err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	conns := map[net.Conn]struct{}{}

	stop := context.AfterFunc(ctx, func() {
		lis.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	defer stop()

	for {
		conn, err := lis.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept rpc connection: %w", err)
		}
		mu.Lock()
		conns[conn] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.ServeConn(conn) // closes conn when the client hangs up
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
		}()
	}
}
