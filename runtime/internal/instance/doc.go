// Package instance holds what both runtime backends (runtime/process and
// runtime/docker) need to drive the code of one instance, whatever runs it:
// the Runner a backend provides (a host process or a container), the
// Output it captures (bounded, split per invocation by log markers), and the
// protocols that turn a Runner into a runtime.Instance: the Custom Runtime
// API server (AwaitAPI), the Go1 net/rpc client (AwaitGo) and a web
// function's readiness (AwaitWeb). It also holds the SCF environment and
// the embedded bootstraps. It is internal: no package outside runtime/
// depends on how an instance is driven.
package instance
