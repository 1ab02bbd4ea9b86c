//go:build !unix

package docker

import (
	"context"
	"errors"
)

// lockHost has no lock to take where flock is unavailable: the caller copes
// with the race, only less tidily.
func lockHost(context.Context, string) (func(), error) {
	return func() {}, errors.ErrUnsupported
}
