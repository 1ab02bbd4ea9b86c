package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// message is what this build says; demos rewrite this line to make versions differ.
const message = "hello from go"

// apigwEvent holds the parts of the API Gateway event the handler reads.
// queryString values are a string, a list of strings or true, hence any.
type apigwEvent struct {
	Path        string            `json:"path"`
	Headers     map[string]string `json:"headers"`
	QueryString map[string]any    `json:"queryString"`
}

// apigwResponse is the integration response the gateway expects.
type apigwResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// responseBody is the JSON carried in apigwResponse.Body. Nil pointers print
// as null, like the python and node samples.
type responseBody struct {
	Function string  `json:"function"`
	Version  string  `json:"version"`
	Runtime  string  `json:"runtime"`
	Message  string  `json:"message"`
	Path     *string `json:"path"`
	User     *string `json:"user"`
}

var errFailRequested = errors.New("failing on purpose: the request asked for fail=1")

func handle(ctx context.Context, inv invocation, payload []byte) ([]byte, error) {
	var ev apigwEvent
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
	}

	if s := queryValue(ev.QueryString, "sleep"); s != "" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("sleep=%q is not a number of seconds", s)
		}
		t := time.NewTimer(time.Duration(secs * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("sleep interrupted: %w", ctx.Err())
		}
	}
	if queryValue(ev.QueryString, "fail") == "1" {
		return nil, errFailRequested
	}

	body := responseBody{
		Function: firstNonEmpty(inv.FunctionName, os.Getenv("SCF_FUNCTIONNAME")),
		Version:  firstNonEmpty(inv.FunctionVersion, os.Getenv("SCF_FUNCTIONVERSION")),
		Runtime:  "go",
		Message:  message,
	}
	if ev.Path != "" {
		body.Path = &ev.Path
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "user") {
			body.User = &v
			break
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return json.Marshal(apigwResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	})
}

// queryValue returns the last value of a query parameter, "" when absent or
// given without a value.
func queryValue(qs map[string]any, name string) string {
	switch v := qs[name].(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			s, _ := v[len(v)-1].(string)
			return s
		}
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	port := os.Getenv("_LAMBDA_SERVER_PORT")
	if port == "" {
		log.Fatal("_LAMBDA_SERVER_PORT is not set: this binary is started by the Go1 runtime")
	}
	// 0.0.0.0 like scf-go-lib: inside a container the runtime connects from outside.
	lis, err := net.Listen("tcp", "0.0.0.0:"+port)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, lis, handle); err != nil {
		log.Fatal(err)
	}
}
