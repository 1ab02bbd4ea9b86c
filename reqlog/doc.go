// Package reqlog keeps the recent requests the gateway routed to each
// function, in the format `emulator replay` reads, so that yesterday's
// traffic can be sent again to a new version: a bounded ring per function
// in memory, served redacted to `emulator logs --requests`, and optionally
// an access log file of the same JSON lines.
package reqlog
