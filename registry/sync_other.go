//go:build !unix

package registry

// syncFS is a no-op where no filesystem-wide sync exists; snapshots are then
// durable only as far as the operating system's own write-back makes them.
func syncFS(string) error { return nil }
