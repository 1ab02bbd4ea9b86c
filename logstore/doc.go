// Package logstore keeps one record per invocation (who ran, which version,
// how long, what it returned and printed) and renders the platform's framed
// log lines from it. Records live in a bounded in-memory ring per function,
// are appended by a single background writer to JSON-lines files, two
// segments per function rotated by a rename, and are loaded back on restart;
// files, rings and each record's output are size-bounded so a flooding
// function cannot exhaust memory or disk.
package logstore
