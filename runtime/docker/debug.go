package docker

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"

	ctypes "github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/scferr"
)

const (
	// debugListenHost is where a debugger listens inside its container:
	// every interface of the container's own network namespace. Only the
	// publication on 127.0.0.1 of the host reaches it from outside.
	debugListenHost = "0.0.0.0"
	// containerDelve is where a static dlv is mounted for a Go1 function.
	containerDelve = "/var/runtime-debug/dlv"
)

// ErrCannotDebug is the cause of a CanDebug refusal.
var ErrCannotDebug = errors.New("cannot debug in a container")

// CanDebug reports whether spec can run under its debugger in a container:
// Python (debugpy in the image: the user's image, or the emulator's Debian
// image built with it), Node.js (--inspect) and custom runtimes
// always can; Go1 needs a statically linked dlv, since the function's image
// (scratch for a static binary) may lack the C library of a dynamic one;
// and a remote engine cannot mount the host's dlv nor publish on this
// machine's loopback.
func (d *Docker) CanDebug(spec runtime.Spec) error {
	if d.remote != nil {
		return scferr.Newf(scferr.ErrContainerInit, ErrCannotDebug,
			"cannot debug on the remote docker engine %s: its ports are not on this machine's loopback", d.remote.Host)
	}
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http"):
	case rt == "go1":
		_, err := staticDelve()
		return err
	case strings.HasPrefix(rt, "python"):
		// An image of the user's own is trusted to have debugpy; the
		// emulator's Debian image has it when it was built with it.
		choice, err := d.imageFor(spec, "")
		if err != nil {
			return err
		}
		if choice.configured {
			return nil
		}
		if ref, ok := d.hasDebugpy(choice); !ok {
			hint := ""
			if ref == DebianRuntimeImage {
				hint = "rebuild it with `emulator images --build --only debian --force` (installs python3-debugpy), or "
			}
			return scferr.Newf(scferr.ErrContainerInit, ErrCannotDebug,
				"cannot debug a Python function in %s: it has no debugpy; %sname an image with debugpy in `images:` (or the function's `image:`)", ref, hint)
		}
	}
	return nil
}

// hasDebugpy reports whether the image choice runs (its image when present,
// else its fallback), which it returns, carries debugpyLabel: the
// emulator's image build sets it after installing python3-debugpy.
func (d *Docker) hasDebugpy(choice imageChoice) (string, bool) {
	ctx, cancel := context.WithTimeout(d.life, dockerPingTimeout)
	defer cancel()
	for _, ref := range []string{choice.ref, choice.fallback} {
		if ref == "" {
			continue
		}
		labels, err := d.api.imageLabels(ctx, ref)
		if errors.Is(err, errDockerNotFound) {
			continue
		}
		return ref, err == nil && labels[debugpyLabel] != ""
	}
	return cmp.Or(choice.fallback, choice.ref), false
}

// staticDelve finds dlv and checks that it runs in any image.
func staticDelve() (string, error) {
	p, err := instance.FindDelve()
	if err != nil {
		return "", err
	}
	if dynamicallyLinked(p) {
		return "", scferr.Newf(scferr.ErrContainerInit, ErrCannotDebug,
			"cannot debug a Go1 function in a container: %s is dynamically linked and the function's image lacks its C library: install a static one with `CGO_ENABLED=0 go install %s`",
			p, instance.DelveModule)
	}
	return p, nil
}

// debugPlan runs plan under spec's debugger, listening on the debug port
// inside the container, and returns what must be mounted for it. The port
// the instance of the code before a reload holds must be free first, since
// the new container publishes the same one.
func (d *Docker) debugPlan(ctx context.Context, spec runtime.Spec, plan *launchPlan) ([]bindMount, error) {
	if spec.DebugPort <= 0 {
		return nil, nil
	}
	if err := d.CanDebug(spec); err != nil {
		return nil, err
	}
	if err := instance.AwaitPortFree(ctx, d.publishIP(), spec.DebugPort); err != nil {
		return nil, err
	}
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http") || rt == "customruntime":
		// SCF_DEBUG_PORT is in the environment: the user's own debugger.
	case strings.HasPrefix(rt, "python"):
		plan.env = instance.AddDebugEnv(spec, debugListenHost, plan.env)
	case strings.HasPrefix(rt, "nodejs"):
		plan.cmd = append([]string{plan.cmd[0]}, instance.NodeArgs(spec, debugListenHost, plan.cmd[1:])...)
	case rt == "go1":
		dlv, err := staticDelve()
		if err != nil {
			return nil, err
		}
		plan.cmd = append([]string{containerDelve}, instance.DelveArgs(spec, debugListenHost, plan.cmd[0])...)
		return []bindMount{{source: dlv, target: containerDelve, readOnly: true}}, nil
	}
	return nil, nil
}

// publishDebugPort publishes cfg's debug port at the same port number of
// the publish IP (127.0.0.1 here), so that the port given to --debug is the
// one the editor connects to.
func publishDebugPort(cfg *containerConfig, config *ctypes.Config, host *ctypes.HostConfig) {
	if cfg.debugPort <= 0 {
		return
	}
	ip := cmp.Or(cfg.publishIP, "127.0.0.1")
	port := nat.Port(strconv.Itoa(cfg.debugPort) + "/tcp")
	if config.ExposedPorts == nil {
		config.ExposedPorts = nat.PortSet{}
	}
	if host.PortBindings == nil {
		host.PortBindings = nat.PortMap{}
	}
	config.ExposedPorts[port] = struct{}{}
	host.PortBindings[port] = []nat.PortBinding{{HostIP: ip, HostPort: strconv.Itoa(cfg.debugPort)}}
}
