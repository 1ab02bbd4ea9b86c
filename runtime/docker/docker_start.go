package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/memprobe"
	"github.com/scf-emulator/emulator/scferr"
)

// maxCreateAttempts bounds the retries of a container create whose name is
// taken.
const maxCreateAttempts = 5

// protocol is how the emulator talks to the function in an instance.
type protocol int

const (
	protoAPI   protocol = iota // the Custom Runtime API (Python, Node.js, PHP, CustomRuntime)
	protoGo                    // Go1 net/rpc on _LAMBDA_SERVER_PORT
	protoWeb                   // a web function's HTTP server on PORT
	protoImage                 // an event image function's POST /event-invoke on 9000
)

// launchPlan is what runs in a container and how to reach it.
type launchPlan struct {
	proto      protocol
	cmd        []string
	entrypoint []string          // image functions' Command; nil keeps the image's
	env        map[string]string // runtime plumbing, applied last
	binary     string            // host path of a Go1 executable, for the image choice
}

// Start starts one container of spec and returns once the function in it is
// ready: the bootstrap called /runtime/init/ready, the Go1 binary answered
// Ping, or the web server accepts connections. The container is created
// from the runtime's image (see imageFor), with the code at /var/user
// read-only, the memory limit of spec (memory+swap equal), no capabilities,
// no new privileges, a read-only root with a 512 MB /tmp, at most 256
// processes, and port 9000 of Go1 and web functions published on 127.0.0.1.
//
// Failures are scferr.ErrContainerInit (445), or ErrPortBinding (446) for a
// web server that never listened; when the container ran, the message ends
// with the tail of its output. A missing image is a 445 that names it and
// says how to get it. When ctx ends first, Start returns ctx.Err(). Nothing
// is left running after a failure: the container is removed.
func (d *Docker) Start(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	if d.isClosed() {
		return nil, scferr.New(scferr.ErrContainerInit, "docker runtime is closed", runtime.ErrClosed)
	}
	if fi, err := os.Stat(spec.CodeDir); err != nil || !fi.IsDir() || !filepath.IsAbs(spec.CodeDir) {
		return nil, scferr.Newf(scferr.ErrContainerInit, err, "code directory %q is not an absolute path to a directory", spec.CodeDir)
	}
	logger := d.logger.With("function", spec.Function, "version", spec.Version)
	plan, err := d.plan(spec)
	if err != nil {
		return nil, err
	}
	debugMounts, err := d.debugPlan(ctx, spec, &plan)
	if err != nil {
		return nil, err
	}
	choice, err := d.imageFor(spec, plan.binary)
	if err != nil {
		return nil, err
	}
	image, err := d.ensureImage(ctx, spec, choice)
	if err != nil {
		return nil, err
	}
	memMB, _ := instance.SpecLimits(spec)
	return d.startWithSpare(ctx, spec, image, plan, memMB, debugMounts, logger)
}

// startNew creates and starts a container for spec, as Start describes.
func (d *Docker) startNew(ctx context.Context, spec runtime.Spec, image string, plan launchPlan, memMB int, debugMounts []bindMount, logger *slog.Logger) (runtime.Instance, error) {
	var api *instance.APIServer
	var err error
	if plan.proto == protoAPI {
		if api, err = instance.NewAPIServer(d.gateway, logger); err != nil {
			return nil, scferr.New(scferr.ErrContainerInit, "cannot start the runtime api", err)
		}
		plan.env["SCF_RUNTIME_API"] = api.Host()
		plan.env["SCF_RUNTIME_API_PORT"] = api.Port()
	}
	mounts, err := d.mountsFor(ctx, spec, image)
	if err == nil && spec.ImageConfig == nil {
		var lang bindMount
		lang, err = d.langMount(ctx, image)
		mounts = append(mounts, lang)
	}
	mounts = append(mounts, debugMounts...)
	var (
		c    *container
		info containerInfo
	)
	if err == nil {
		c, info, err = d.run(ctx, d.containerConfig(spec, image, plan, memMB, mounts), memMB, logger)
	}
	if err != nil {
		if api != nil {
			api.Close()
		}
		return nil, err
	}
	return d.await(ctx, spec, plan, api, c, info, logger)
}

// await waits until the function in the started container c is ready.
func (d *Docker) await(ctx context.Context, spec runtime.Spec, plan launchPlan, api *instance.APIServer, c *container, info containerInfo, logger *slog.Logger) (runtime.Instance, error) {
	if plan.proto == protoAPI {
		running := time.Now()
		in, err := instance.AwaitAPI(ctx, spec, c, api, d.initTimeout, plan.env[instance.MarkEnv], logger)
		if err == nil {
			logger.Debug("bootstrap ready", "container", c.name, "after", time.Since(running))
		}
		return in, err
	}
	if info.hostPort == "" {
		// Ports are unpublished when a container stops: it exited at once.
		return nil, d.noHostPort(ctx, c, logger)
	}
	addr := net.JoinHostPort(d.publishIP(), info.hostPort)
	where := fmt.Sprintf("port %s (published at %s)", containerPort, addr)
	if plan.proto == protoGo {
		return instance.AwaitGo(ctx, spec, c, addr, where, d.initTimeout, logger)
	}
	await := instance.AwaitWeb
	if plan.proto == protoImage {
		await = instance.AwaitImageEvent
	}
	// The published port accepts connections before the server listens
	// (docker-proxy takes them), so readiness is probed on the container's
	// own address, which this machine reaches over the bridge; a remote
	// engine's bridge is out of reach, so there the probe ("") waits for a
	// connection that stays open.
	probe := ""
	if info.ip != "" && d.remote == nil {
		probe = net.JoinHostPort(info.ip, containerPort)
	}
	return await(ctx, spec, c, addr, probe, where, d.initTimeout, logger)
}

// noHostPort is the error of a started container without a published port,
// which is one that exited already, and removes the container.
func (d *Docker) noHostPort(ctx context.Context, c *container, logger *slog.Logger) error {
	t := time.NewTimer(instance.DrainGrace + dockerCallTimeout)
	defer t.Stop()
	var err error
	select {
	case <-c.Done():
		err = instance.ExitedEarly(c, "function")
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = instance.InitFailed(c, "container %s has no host port for port %s", c.name, containerPort)
	}
	if serr := c.Stop(ctx); serr != nil {
		logger.Warn("remove after failed start", "container", c.name, "err", serr)
	}
	return err
}

// plan decides what the container of spec runs.
func (d *Docker) plan(spec runtime.Spec) (launchPlan, error) {
	inContainer := func(hostPath string) string {
		rel, _ := filepath.Rel(spec.CodeDir, hostPath) // findExecutable returns paths under CodeDir
		return path.Join(containerCodeDir, filepath.ToSlash(rel))
	}
	rt := strings.ToLower(spec.Runtime)
	switch {
	case spec.ImageConfig != nil:
		return imagePlan(spec), nil
	case strings.EqualFold(spec.Type, "http"):
		boot, err := instance.FindExecutable(spec.CodeDir, "scf_bootstrap")
		if err != nil {
			return launchPlan{}, err
		}
		return launchPlan{proto: protoWeb, cmd: []string{inContainer(boot)}, env: map[string]string{"PORT": containerPort}}, nil
	case strings.HasPrefix(rt, "python"):
		return launchPlan{
			proto: protoAPI,
			cmd:   []string{"python3", "-u", containerRuntimeDir + "/python/bootstrap.py"},
			env:   map[string]string{"PYTHONDONTWRITEBYTECODE": "1", "_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()},
		}, nil
	case strings.HasPrefix(rt, "nodejs"):
		return launchPlan{
			proto: protoAPI,
			cmd:   []string{"node", containerRuntimeDir + "/node/bootstrap.js"},
			env:   map[string]string{"_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()},
		}, nil
	case strings.HasPrefix(rt, "php"):
		return launchPlan{
			proto: protoAPI,
			cmd:   append([]string{"php"}, instance.PHPArgs(containerRuntimeDir+"/php/bootstrap.php")...),
			env:   map[string]string{"_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()},
		}, nil
	case rt == "customruntime":
		boot, err := instance.FindExecutable(spec.CodeDir, "bootstrap", "scf_bootstrap")
		if err != nil {
			return launchPlan{}, err
		}
		return launchPlan{proto: protoAPI, cmd: []string{inContainer(boot)}, env: map[string]string{}}, nil
	case rt == "go1":
		name := spec.Handler
		if name == "" {
			name = "main"
		}
		bin, err := instance.FindExecutable(spec.CodeDir, name)
		if err != nil {
			return launchPlan{}, scferr.Newf(scferr.ErrContainerInit, nil, "go1 executable %q does not exist in %s or is not executable", name, spec.CodeDir)
		}
		return launchPlan{proto: protoGo, cmd: []string{inContainer(bin)}, env: map[string]string{"_LAMBDA_SERVER_PORT": containerPort}, binary: bin}, nil
	}
	return launchPlan{}, scferr.Newf(scferr.ErrContainerInit, nil, "runtime %q is not supported by the docker runtime", spec.Runtime)
}

// containerConfig is the container of spec: isolation, limits and labels.
func (d *Docker) containerConfig(spec runtime.Spec, image string, plan launchPlan, memMB int, mounts []bindMount) *containerConfig {
	env := instance.SCFEnv(spec, containerCodeDir)
	env["PWD"] = containerCodeDir
	maps.Copy(env, layerEnv(spec))
	maps.Copy(env, plan.env)
	publish := ""
	if plan.proto != protoAPI {
		publish = containerPort
	}
	labels := d.ownerLabels() // managed, session, owner, scope
	maps.Copy(labels, map[string]string{
		LabelNamespace: instance.SpecNamespace(spec),
		LabelFunction:  spec.Function,
		LabelVersion:   spec.Version,
		LabelCodeHash:  spec.CodeHash,
	})
	workDir := containerCodeDir
	if spec.ImageConfig != nil {
		workDir = "" // the image's WORKDIR
		delete(env, "PWD")
	}
	return &containerConfig{
		name:           containerPrefix(spec),
		image:          image,
		cmd:            plan.cmd,
		entrypoint:     plan.entrypoint,
		env:            instance.EnvList(env),
		workDir:        workDir,
		user:           d.user,
		labels:         labels,
		mounts:         mounts,
		memoryBytes:    int64(memMB) << 20,
		pidsLimit:      containerPidsLimit,
		readonlyRootfs: true,
		capDrop:        []string{"ALL"},
		securityOpt:    []string{"no-new-privileges"},
		tmpfs:          map[string]string{"/tmp": "rw,exec,nosuid,nodev,size=512m,mode=1777"},
		network:        d.network,
		publish:        publish,
		publishIP:      d.publishIP(),
		debugPort:      spec.DebugPort,
	}
}

// run creates and starts the container of cfg, with its output and exit
// watched from before the start, and reads back where it is reachable. On
// failure the container is removed.
func (d *Docker) run(ctx context.Context, cfg *containerConfig, memMB int, logger *slog.Logger) (*container, containerInfo, error) {
	t0 := time.Now()
	id, err := d.create(ctx, cfg)
	if err != nil {
		if errors.Is(err, errDockerNotFound) {
			// The image went away since it was checked.
			d.forgetImage(cfg.image)
			return nil, containerInfo{}, scferr.Newf(scferr.ErrContainerInit, err,
				"image %s is not available locally: run scripts/build-runtime-images.sh, or build or pull it", cfg.image)
		}
		return nil, containerInfo{}, startFailed(ctx, "cannot create container "+cfg.name, err)
	}
	c := newContainer(d, id, cfg.name, memMB, logger.With("container", cfg.name))
	if !d.track(c) {
		_ = c.Stop(ctx)
		return nil, containerInfo{}, scferr.New(scferr.ErrContainerInit, "docker runtime is closed", runtime.ErrClosed)
	}
	fail := func(err error) (*container, containerInfo, error) {
		if serr := c.Stop(ctx); serr != nil {
			logger.Warn("remove after failed start", "container", c.name, "err", serr)
		}
		return nil, containerInfo{}, err
	}
	// Attach and wait before the start: output and an instant exit are
	// never missed. Both live as long as the container, not as ctx.
	stream, err := d.api.attach(c.ctx, id, cfg.stdin)
	if err != nil {
		return fail(startFailed(ctx, "cannot attach to container "+c.name, err))
	}
	wait, err := d.api.wait(c.ctx, id)
	if err != nil {
		stream.Close()
		return fail(startFailed(ctx, "cannot watch container "+c.name, err))
	}
	if !c.watch(stream, wait) {
		return fail(scferr.New(scferr.ErrContainerInit, "docker runtime is closed", runtime.ErrClosed))
	}
	t1 := time.Now()
	if err := d.api.start(ctx, id); err != nil {
		return fail(startFailed(ctx, "cannot start container "+c.name, err))
	}
	t2 := time.Now()
	info, err := d.api.inspect(ctx, id)
	if err != nil {
		return fail(startFailed(ctx, "cannot inspect container "+c.name, err))
	}
	if d.remote == nil {
		// The pid is the engine machine's: only a local one has its cgroup here.
		c.mem = memprobe.New(info.pid)
	}
	// The daemon's share of a cold start: create (with attach and wait)
	// and start, which sets up the namespaces, mounts and network.
	logger.Info("container started", "container", c.name, "image", cfg.image, "container_id", shortID(id),
		"create", t1.Sub(t0).Round(time.Millisecond), "start", t2.Sub(t1).Round(time.Millisecond))
	return c, info, nil
}

// startFailed is the error of a daemon call that failed during a start:
// ctx's error when ctx ended, else a 445 quoting the daemon.
func startFailed(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return scferr.Newf(scferr.ErrContainerInit, err, "%s: %v", what, err)
}

// create creates cfg under the next free name of its prefix. A taken name
// (rare: names carry the session's tag) is removed when its container is
// managed, stopped and ours or abandoned (see Status), else skipped.
func (d *Docker) create(ctx context.Context, cfg *containerConfig) (string, error) {
	prefix := cfg.name
	cfg.name = d.nextName(prefix)
	for attempt := 1; ; attempt++ {
		id, err := d.api.create(ctx, cfg)
		if err == nil || !errors.Is(err, errDockerConflict) || attempt == maxCreateAttempts {
			return id, err
		}
		if !d.removeStale(ctx, cfg.name) {
			cfg.name = d.nextName(prefix)
		}
	}
}

// removeStale removes the container called name if the runtime made it and
// it is not running, and reports whether the name is free again.
func (d *Docker) removeStale(ctx context.Context, name string) bool {
	old, err := d.api.inspect(ctx, name)
	if errors.Is(err, errDockerNotFound) {
		return true // removed meanwhile
	}
	if err != nil || old.labels[LabelManaged] != "true" || old.running || !d.mayRemove(old.labels) {
		return false
	}
	if err := d.removeContainer(ctx, old.id); err != nil {
		return false
	}
	d.logger.Info("removed a stale container with the same name", "container", name, "session", old.labels[LabelSession])
	return true
}

// track registers a created container for Close, unless Close has begun.
func (d *Docker) track(c *container) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.live[c.id] = c
	return true
}

// forget drops a removed container.
func (d *Docker) forget(c *container) {
	d.mu.Lock()
	delete(d.live, c.id)
	d.mu.Unlock()
}

func (d *Docker) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}
