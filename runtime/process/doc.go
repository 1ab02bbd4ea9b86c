// Package process is the host-process backend of package runtime: Process
// starts each instance as a process group of this machine (Python and
// Node.js through the embedded bootstraps, CustomRuntime and web
// bootstraps, Go1 binaries), isolated in a cgroup where the machine allows
// it, and drives it with the protocols of runtime/internal/instance.
package process
