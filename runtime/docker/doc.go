// Package docker is the container backend of package runtime: Docker starts
// each instance in a container of the function's runtime image, with the
// code mounted read-only and the platform's limits, and drives it with the
// protocols of runtime/internal/instance. It also owns what lives on the
// Docker engine: image resolution, pulls and local builds (Images), the
// labels that say which emulator session owns a container, volume or
// network, and the Janitor that removes what abandoned sessions left.
//
// It is the only package that imports the Docker SDK, behind the small
// dockerAPI interface (docker_api.go) that the tests fake by hand.
package docker
