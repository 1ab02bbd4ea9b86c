// Command loadgen sends a bounded number of HTTP requests with a fixed number
// of concurrent workers and reports throughput, latency percentiles and how
// many responses each X-Scf-Version (the version that ran) and each status
// produced. scripts/bench-gateway.sh uses it to measure the latency the
// emulator's gateway adds; it is stdlib only so `go run` works anywhere.
//
//	go run ./scripts/loadgen -url http://127.0.0.1:8080/release/hello -n 5000 -c 8 [-H 'User: Bob'] [-json]
package main
