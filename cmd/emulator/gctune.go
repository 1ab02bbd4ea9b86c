package main

import "runtime/debug"

// The garbage collector's pacing for `emulator up`, unless the user set
// GOGC or GOMEMLIMIT. The emulator's live heap is small (about 4 MB in
// front of one web function, 25 MB idle with 100 functions x 20 versions),
// so at Go's default of 100 it collects every few MB allocated: under a
// web load every 1,500 requests, which cost 4-8 µs of the ~60 µs of CPU a
// request takes (gctrace). At 400 it collects a quarter as often; the
// memory limit keeps the heap it lets grow bounded, and a live heap far
// below it (nearly always) is paced by the percent alone.
const (
	upGCPercent   = 400
	upMemoryLimit = 256 << 20
)

// tuneGC sets that pacing when getenv has neither GOGC nor GOMEMLIMIT, and
// reports whether it did.
func tuneGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(upGCPercent)
	debug.SetMemoryLimit(upMemoryLimit)
	return true
}
