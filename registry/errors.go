package registry

import "errors"

// Sentinels added by this package's implementation; the shared ones live in
// types.go.
var (
	// ErrClosed is returned by mutations after Close.
	ErrClosed = errors.New("registry is closed")
	// ErrStateLocked means another process holds the state directory.
	ErrStateLocked = errors.New("state directory is in use by another process")
)
