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

// Sentinels of functions created through the cloud API and of triggers.
var (
	// ErrSourceNotManaged means the function's code lives in a folder the
	// registry does not own (a source declared in emulator.yaml), so the
	// registry refuses to overwrite it.
	ErrSourceNotManaged = errors.New("function source is not managed by the emulator")
	// ErrInvalidTrigger wraps every trigger validation error.
	ErrInvalidTrigger = errors.New("invalid trigger")
	// ErrTriggerNotFound means the function has no trigger of that name.
	ErrTriggerNotFound = errors.New("trigger not found")
	// ErrTriggerExists means the function already has a trigger of that name.
	ErrTriggerExists = errors.New("trigger already exists")
	// ErrTriggerConflict means another trigger already serves the same
	// service, stage, path and method.
	ErrTriggerConflict = errors.New("trigger conflicts with another trigger")
	// ErrTriggerLimit means the function has the maximum number of triggers
	// of that type.
	ErrTriggerLimit = errors.New("too many triggers")
)
