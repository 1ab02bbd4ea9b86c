// Package scferr is the emulator's vocabulary for failed invocations: the SCF
// status codes (430 user error, 433 timeout, 434 memory, 439 process exit, ...)
// and the JSON error body the platform returns for them.
//
// It sits at the centre of the dependency graph so that the runtime can
// classify a failure, and the gateway and the cloud API can render it, without
// importing each other.
package scferr
