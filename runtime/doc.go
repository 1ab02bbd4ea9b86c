// Package runtime runs function code: a Runtime starts Instances (processes or
// containers) of one function version, and the Manager keeps a pool of warm
// instances per (function, version, code hash). The Manager scales a pool out
// to Options.MaxInstances, reuses idle instances LIFO, stops those idle longer
// than Options.IdleTimeout, discards instances that crashed or timed out,
// maps failures to the platform's scferr classes and shows user code paths
// as UserCodeRoot.
//
// The backends live in subpackages and import this one, never the reverse:
// runtime/process runs functions as host processes, runtime/docker in
// containers (the only package that imports the Docker SDK). Mixed
// dispatches each spec to an ImageRuntime (Docker) or a fallback Runtime.
// What both backends share but no other package needs is internal: the
// protocols that drive an instance's code (runtime/internal/instance: the
// Custom Runtime API server, the Go1 net/rpc client, web readiness, the SCF
// environment, the embedded bootstraps, output and log-marker parsing),
// cgroup memory readings (runtime/internal/memprobe) and the backends'
// shared test fixtures (runtime/internal/testutil).
package runtime
