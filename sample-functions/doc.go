// Package samples holds no code: its tests check the sample functions in the
// folders below directly (python and node handlers through a tiny harness, the
// custom runtime against a fake runtime API, the web function by starting it),
// without an emulator. The Go1 sample is tested in its own package, go-event.
package samples
