//go:build !unix

package registry

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist; cancellation
// kills sh only.
func setProcessGroup(*exec.Cmd) {}
