// Command go-event is the Go1 sample function hello-go of the grayscale demo.
//
// It speaks the protocol of Tencent's scf-go-lib (cloudfunction.Start) without
// importing it, because that module is not reachable from this build: the
// binary listens on _LAMBDA_SERVER_PORT and serves the net/rpc methods
// Function.Ping and Function.Invoke. The handler answers an API Gateway event
// with an integration response naming the version that ran.
package main
