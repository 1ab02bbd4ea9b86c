//go:build !unix

package registry

// lockDir does not lock where flock is unavailable; running two emulators on
// one state dir is then the user's responsibility.
func lockDir(string) (func() error, error) {
	return func() error { return nil }, nil
}
