// Package loadgen sends a bounded number of HTTP requests with a fixed
// number of concurrent workers and counts what came back: latencies, status
// codes, and the X-Scf-Version (the version that ran) of each answer. It is
// the one load generator of the project: `emulator split-test` and
// scripts/loadgen (behind scripts/bench-gateway.sh) both run it.
package loadgen
