// Command go1fn is a Go1 SCF function for the runtime tests. It serves the
// same net/rpc protocol as tencentyun/scf-go-lib, with message types that
// have the library's names and fields.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/rpc"
	"os"
	"time"
)

type PingRequest struct{}

type PingResponse struct{}

type InvokeRequest_Timestamp struct {
	Seconds int64
	Nanos   int64
}

type InvokeRequest struct {
	Payload               []byte
	RequestId             string
	TraceId               string
	Deadline              InvokeRequest_Timestamp
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

type InvokeResponse struct {
	Payload []byte
	Error   *InvokeResponse_Error
}

type InvokeResponse_Error struct {
	Message    string
	Type       string
	StackTrace []*InvokeResponse_Error_StackFrame
	ShouldExit bool
}

type InvokeResponse_Error_StackFrame struct {
	Path  string
	Line  int32
	Label string
}

type Function struct{}

func (*Function) Ping(*PingRequest, *PingResponse) error { return nil }

func (*Function) Invoke(req *InvokeRequest, resp *InvokeResponse) error {
	var event map[string]any
	if err := json.Unmarshal(req.Payload, &event); err != nil {
		return err
	}
	fmt.Println("go1 handler got", event["name"])
	switch event["mode"] {
	case "error":
		resp.Error = &InvokeResponse_Error{Message: "go boom", Type: "errorString"}
		return nil
	case "panic":
		resp.Error = &InvokeResponse_Error{
			Message:    "runtime error: index out of range",
			Type:       "boundsError",
			ShouldExit: true,
			StackTrace: []*InvokeResponse_Error_StackFrame{{Path: "/src/main.go", Line: 42, Label: "main.handler"}},
		}
		return nil
	case "exit":
		os.Exit(3)
	}
	var env map[string]string
	_ = json.Unmarshal([]byte(req.Environment), &env)
	out, err := json.Marshal(map[string]any{
		"version":     req.FunctionVersion,
		"env_version": os.Getenv("SCF_FUNCTIONVERSION"),
		"request_id":  req.RequestId,
		"function":    req.FunctionName,
		"namespace":   req.Namespace,
		"memory":      req.MemoryLimitInMb,
		"time_limit":  req.TimeLimitInMs,
		"deadline_ok": time.Unix(req.Deadline.Seconds, req.Deadline.Nanos).After(time.Now()),
		"environment": env,
		"event":       event,
	})
	resp.Payload = out
	return err
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("_LAMBDA_SERVER_PORT"))
	if err != nil {
		log.Fatal(err)
	}
	if err := rpc.Register(new(Function)); err != nil {
		log.Fatal(err)
	}
	rpc.Accept(ln)
}
