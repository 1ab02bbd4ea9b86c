package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/docker"
	"github.com/scf-emulator/emulator/runtime/process"
)

// newRuntime picks the runtime: docker, process, or auto (docker when a
// daemon answers). It returns a description for the banner.
func (a *App) newRuntime(ctx context.Context) (runtime.Runtime, string, error) {
	cfg := a.cfg
	useDocker := false
	desc := ""
	switch cfg.Runtime {
	case "docker":
		useDocker, desc = true, "docker"
	case "", "auto":
		useDocker = docker.DockerAvailable(ctx)
		desc = "process (auto: no docker daemon answers)"
		if useDocker {
			desc = "docker (auto: a docker daemon answers)"
		}
	case "process":
		desc = "process"
	default:
		return nil, "", usageError{fmt.Errorf("--runtime %q: want auto, docker or process", cfg.Runtime)}
	}
	logger := cfg.Logger
	pull, err := docker.ParsePullPolicy(cmp.Or(cfg.Pull, string(docker.PullMissing)))
	if err != nil {
		return nil, "", usageError{fmt.Errorf("--pull: %w", err)}
	}
	newProcess := func() (*process.Process, error) {
		a.debug.proc, err = process.NewProcess(process.ProcessOptions{WorkDir: filepath.Join(a.stateDir, "runtime"), Logger: logger.With("component", "process")})
		return a.debug.proc, err
	}
	if !useDocker {
		rt, err := newProcess()
		return rt, desc, err
	}
	images, err := imageOverrides(cfg.Images)
	if err != nil {
		return nil, "", err
	}
	d, err := docker.NewDocker(ctx, docker.DockerOptions{
		WorkDir: filepath.Join(a.stateDir, "runtime-docker"), Images: images, Pull: pull,
		StateDir: a.stateDir, // owner label; a.reg holds its lock
		Logger:   logger.With("component", "docker"), CallbackHost: os.Getenv(docker.CallbackHostEnv),
	})
	if err != nil {
		return nil, "", err
	}
	a.docker = d
	if r := d.Remote(); r != nil {
		desc += fmt.Sprintf("; remote engine %s: code copied into volumes, runtime api on %s", r.Host, r.Callback)
	}
	// Only what is provably abandoned: other emulators' containers stay.
	n, err := d.RemoveOrphans(ctx, d.Session())
	if err != nil {
		logger.Warn("could not remove containers left by an earlier run", "err", err)
	} else if n > 0 {
		desc += fmt.Sprintf("; removed %d container(s) left by an earlier run", n)
	}
	if cfg.Runtime == "docker" {
		return d, desc, nil
	}
	proc, err := newProcess()
	if err != nil {
		return nil, "", err
	}
	a.mixed = runtime.NewMixed(d, proc, logger.With("component", "runtime"))
	return a.mixed, desc, nil
}
