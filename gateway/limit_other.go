//go:build !unix

package gateway

// openFileLimit is not known here.
func openFileLimit() (int, bool) { return 0, false }
