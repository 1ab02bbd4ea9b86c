// Command dockerfn is the function the docker runtime tests run in a FROM
// scratch image. One static binary speaks all three protocols, picked by the
// environment the runtime gives it:
//
//	_LAMBDA_SERVER_PORT  Go1: net/rpc Function.Ping and Function.Invoke on 0.0.0.0
//	SCF_RUNTIME_API      CustomRuntime: the runtime API client loop
//	PORT                 web function: an HTTP server on 0.0.0.0
//
// It listens on DOCKERFN_HOST (default 0.0.0.0, as in a container; the
// process runtime benchmarks set 127.0.0.1). DOCKERFN_START=exit makes it
// fail at start. Events select a behaviour with
// "mode": "oom" allocates until the memory limit kills it, "exit" exits,
// "error" fails, "sleep" sleeps "ms" milliseconds; anything else is echoed
// together with what the function sees of its container.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
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
	Payload         []byte
	RequestId       string
	Deadline        InvokeRequest_Timestamp
	Namespace       string
	FunctionName    string
	FunctionVersion string
	MemoryLimitInMb int32
	TimeLimitInMs   int32
	Environment     string
}

type InvokeResponse struct {
	Payload []byte
	Error   *InvokeResponse_Error
}

type InvokeResponse_Error struct {
	Message    string
	Type       string
	ShouldExit bool
}

// hold keeps allocations reachable so the collector cannot free them.
var hold [][]byte

// handle runs one event and returns the result or an error message.
func handle(payload []byte) ([]byte, string) {
	var event map[string]any
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, "event is not json: " + err.Error()
	}
	fmt.Println("dockerfn handled", event["name"])
	fmt.Fprintln(os.Stderr, "dockerfn stderr line", event["name"])
	switch event["mode"] {
	case "oom":
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			hold = append(hold, b)
		}
	case "exit":
		fmt.Println("dockerfn exiting on request")
		os.Exit(3)
	case "error":
		return nil, "dockerfn failed on request"
	case "sleep":
		ms, _ := event["ms"].(float64)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	return describe(event), ""
}

// describe reports what the function sees of its container.
func describe(event map[string]any) []byte {
	cwd, _ := os.Getwd()
	userErr := os.WriteFile("/var/user/probe", []byte("x"), 0o644)
	tmpErr := os.WriteFile("/tmp/probe", []byte("x"), 0o644)
	out, _ := json.Marshal(map[string]any{
		"event":          event,
		"cwd":            cwd,
		"version":        os.Getenv("SCF_FUNCTIONVERSION"),
		"function":       os.Getenv("SCF_FUNCTIONNAME"),
		"user_code_root": os.Getenv("USER_CODE_ROOT"),
		"greeting":       os.Getenv("GREETING"),
		"var_user_rw":    userErr == nil,
		"tmp_rw":         tmpErr == nil,
	})
	return out
}

type Function struct{}

func (*Function) Ping(*PingRequest, *PingResponse) error { return nil }

func (*Function) Invoke(req *InvokeRequest, resp *InvokeResponse) error {
	out, msg := handle(req.Payload)
	if msg != "" {
		resp.Error = &InvokeResponse_Error{Message: msg, Type: "dockerfnError"}
		return nil
	}
	resp.Payload = out
	return nil
}

func serveGo1(port string) {
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost(), port))
	if err != nil {
		log.Fatal(err)
	}
	if err := rpc.Register(new(Function)); err != nil {
		log.Fatal(err)
	}
	rpc.Accept(ln)
}

func serveRuntimeAPI(host, port string) {
	api := "http://" + net.JoinHostPort(host, port) + "/runtime"
	post := func(path string, body []byte) {
		resp, err := http.Post(api+path, "application/json", bytes.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	post("/init/ready", []byte(" "))
	for {
		resp, err := http.Get(api + "/invocation/next")
		if err != nil {
			log.Fatal(err)
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out, msg := handle(event)
		if msg != "" {
			post("/invocation/error", []byte(msg))
			continue
		}
		post("/invocation/response", out)
	}
}

func serveWeb(port string) {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(describe(map[string]any{"path": r.URL.Path}))
	})
	fmt.Println("dockerfn web server on", port)
	log.Fatal(http.ListenAndServe(net.JoinHostPort(listenHost(), port), nil))
}

func listenHost() string {
	if h := os.Getenv("DOCKERFN_HOST"); h != "" {
		return h
	}
	return "0.0.0.0"
}

func main() {
	if os.Getenv("DOCKERFN_START") == "exit" {
		fmt.Println("dockerfn: cannot load configuration, giving up")
		os.Exit(2)
	}
	switch {
	case os.Getenv("_LAMBDA_SERVER_PORT") != "":
		serveGo1(os.Getenv("_LAMBDA_SERVER_PORT"))
	case os.Getenv("SCF_RUNTIME_API") != "":
		serveRuntimeAPI(os.Getenv("SCF_RUNTIME_API"), os.Getenv("SCF_RUNTIME_API_PORT"))
	case os.Getenv("PORT") != "":
		serveWeb(os.Getenv("PORT"))
	default:
		log.Fatal("dockerfn: no protocol in the environment")
	}
}
