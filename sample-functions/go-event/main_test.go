package main

import (
	"context"
	"encoding/json"
	"net"
	"net/rpc"
	"testing"
	"time"
)

// startServer serves the sample on a loopback port and returns a connected client.
func startServer(t *testing.T) *rpc.Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, lis, handle) }()
	client, err := rpc.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("serve did not return after cancel")
		}
	})
	return client
}

func TestPing(t *testing.T) {
	client := startServer(t)
	if err := client.Call("Function.Ping", &PingRequest{}, &PingResponse{}); err != nil {
		t.Fatalf("Function.Ping: %v", err)
	}
}

func TestInvoke(t *testing.T) {
	client := startServer(t)
	deadline := time.Now().Add(3 * time.Second)
	base := InvokeRequest{
		RequestId:       "req-1",
		FunctionName:    "hello-go",
		FunctionVersion: "7",
		Deadline:        Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
	}
	str := func(s string) *string { return &s }

	tests := []struct {
		name     string
		payload  string
		wantErr  bool
		wantBody responseBody
	}{
		{
			name:    "gateway event with user header",
			payload: `{"path":"/go","headers":{"user":"Bob","x-qualifier":"release"},"queryString":{"a":["b","c"],"i":true}}`,
			wantBody: responseBody{Function: "hello-go", Version: "7", Runtime: "go", Message: message,
				Path: str("/go"), User: str("Bob")},
		},
		{
			name:     "empty event from invoke",
			payload:  `{}`,
			wantBody: responseBody{Function: "hello-go", Version: "7", Runtime: "go", Message: message},
		},
		{
			name:    "fail=1 reports a handler error",
			payload: `{"path":"/go","queryString":{"fail":"1"}}`,
			wantErr: true,
		},
		{
			name:    "malformed event is a handler error",
			payload: `{"path":`,
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := base
			req.Payload = []byte(tc.payload)
			var resp InvokeResponse
			if err := client.Call("Function.Invoke", &req, &resp); err != nil {
				t.Fatalf("Function.Invoke returned an rpc error (handler errors belong in the reply): %v", err)
			}
			if tc.wantErr {
				if resp.Error == nil || resp.Error.Message == "" {
					t.Fatalf("want InvokeResponse.Error, got payload %s", resp.Payload)
				}
				return
			}
			if resp.Error != nil {
				t.Fatalf("unexpected error: %+v", resp.Error)
			}
			var out apigwResponse
			if err := json.Unmarshal(resp.Payload, &out); err != nil {
				t.Fatalf("payload %s: %v", resp.Payload, err)
			}
			if out.StatusCode != 200 || out.IsBase64Encoded || out.Headers["Content-Type"] != "application/json" {
				t.Errorf("integration response = %+v", out)
			}
			var got responseBody
			if err := json.Unmarshal([]byte(out.Body), &got); err != nil {
				t.Fatalf("body %q: %v", out.Body, err)
			}
			if !equalBody(got, tc.wantBody) {
				t.Errorf("body = %s, want %+v", out.Body, tc.wantBody)
			}
		})
	}
}

func TestInvokeSleepHonoursDeadline(t *testing.T) {
	client := startServer(t)
	deadline := time.Now().Add(200 * time.Millisecond)
	req := InvokeRequest{
		Payload:  []byte(`{"queryString":{"sleep":"5"}}`),
		Deadline: Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
	}
	var resp InvokeResponse
	if err := client.Call("Function.Invoke", &req, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil {
		t.Fatalf("sleep past the deadline: want an error, got %s", resp.Payload)
	}
}

func equalBody(a, b responseBody) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Function == b.Function && a.Version == b.Version && a.Runtime == b.Runtime &&
		a.Message == b.Message && eq(a.Path, b.Path) && eq(a.User, b.User)
}
