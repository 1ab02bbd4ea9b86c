package docker

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// Images looks at, and builds, the images the docker runtime uses without
// starting the runtime (`emulator images`): no network, no containers.
type Images struct {
	api    dockerAPI
	images map[string]string // lower-case key -> image, as DockerOptions.Images
}

// OpenImages connects to the Docker daemon as NewDocker does. overrides is
// DockerOptions.Images. When no daemon answers the error matches
// ErrNoDocker.
func OpenImages(ctx context.Context, overrides map[string]string) (*Images, error) {
	ep, err := resolveDockerEndpoint(os.Getenv, os.UserHomeDir)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	api, err := newDockerClient(ep)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	err = api.ping(pctx)
	cancel()
	if err != nil {
		api.close()
		return nil, fmt.Errorf("%w at %s (%v): start it (sudo systemctl start docker, or Docker Desktop)", ErrNoDocker, ep, err)
	}
	return newImages(api, overrides), nil
}

func newImages(api dockerAPI, overrides map[string]string) *Images {
	return &Images{api: api, images: normaliseImages(overrides)}
}

// Close closes the connection to the daemon.
func (im *Images) Close() error { return im.api.close() }

// ImageStatus is where one spec's image stands before `emulator up`.
type ImageStatus struct {
	Image   string // the image the spec asks for
	Present bool
	// Local is one of the emulator's own images: built here, never pulled
	// (`up` creates StaticRuntimeImage by itself when missing).
	Local bool
	// Fallback is the present image that stands in when Image cannot be
	// pulled; "" when there is none.
	Fallback string
}

// Status says, without pulling anything, what the docker runtime would run
// spec in. A Go1 binary not built yet counts as static.
func (im *Images) Status(ctx context.Context, spec runtime.Spec) (ImageStatus, error) {
	binary := ""
	if strings.EqualFold(spec.Runtime, "go1") && spec.CodeDir != "" {
		binary, _ = instance.FindExecutable(spec.CodeDir, cmpOr(spec.Handler, "main"))
	}
	choice, err := chooseImage(im.images, spec, binary)
	if err != nil {
		return ImageStatus{}, err
	}
	st := ImageStatus{Image: choice.ref, Local: localImage(choice.ref)}
	if st.Present, err = im.api.imageExists(ctx, choice.ref); err != nil {
		return st, fmt.Errorf("inspect image %s: %w", choice.ref, err)
	}
	if !st.Present && choice.fallback != "" {
		if ok, err := im.api.imageExists(ctx, choice.fallback); err == nil && ok {
			st.Fallback = choice.fallback
		}
	}
	return st, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
