package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/statelock"
)

// Labels on every container and volume (and on the network) the docker
// runtime creates, beside the owner labels of owner.go. RemoveOrphans,
// Close and Janitor find them by these; `docker ps --filter
// label=dev.scf-emulator.managed=true` lists them.
const (
	LabelManaged   = "dev.scf-emulator.managed"   // "true"
	LabelSession   = "dev.scf-emulator.session"   // DockerOptions.Session
	LabelNamespace = "dev.scf-emulator.namespace" // Spec.Namespace
	LabelFunction  = "dev.scf-emulator.function"  // Spec.Function
	LabelVersion   = "dev.scf-emulator.version"   // Spec.Version, "$LATEST" included
	LabelCodeHash  = "dev.scf-emulator.codehash"  // Spec.CodeHash
)

// DefaultNetwork is the bridge network the docker runtime creates (or
// reuses) for its containers. The runtime API of each event instance listens
// on its gateway address, which only containers on it and the host reach.
const DefaultNetwork = "scf-emulator"

// ErrNoDocker is returned by NewDocker when no Docker daemon answers.
var ErrNoDocker = errors.New("no docker daemon answers")

// Paths inside a container.
const (
	containerCodeDir    = "/var/user"    // the version's code, read-only
	containerRuntimeDir = "/var/runtime" // the embedded bootstraps, read-only
	containerPort       = "9000"         // Go1 _LAMBDA_SERVER_PORT and the web PORT
)

const (
	// defaultInitTimeout is DockerOptions.InitTimeout's default.
	defaultInitTimeout = 15 * time.Second
	// dockerPingTimeout bounds the daemon check of NewDocker and DockerAvailable.
	dockerPingTimeout = 3 * time.Second
	// dockerCallTimeout bounds the daemon calls made outside a request
	// (inspect after an exit, removals on stop and Close).
	dockerCallTimeout = 10 * time.Second
	// containerPidsLimit caps the processes and threads of one container.
	containerPidsLimit = 256
	// maxParallelRemovals bounds the container removals in flight: Ctrl-C
	// with dozens of containers removes them this many at a time, which
	// the daemon gets through faster than all at once.
	maxParallelRemovals = 8
)

// DockerOptions configures the docker runtime. The zero value of every field
// but WorkDir is usable.
type DockerOptions struct {
	// WorkDir receives the embedded bootstraps, which are bind-mounted
	// read-only at /var/runtime (copied into a volume for a remote engine),
	// e.g. <state-dir>/runtime. It is created if missing.
	WorkDir string
	// Session labels every container of this emulator run; "" picks a
	// random one (see Session).
	Session string
	// StateDir is the emulator's state dir, whose lock (package statelock)
	// the caller holds for the runtime's lifetime, as registry.Open does.
	// Everything the runtime creates is labelled with it and this host
	// (see Owner), which tells other emulators on the engine whether it is
	// abandoned; RemoveOrphans removes what earlier runs in it left. ""
	// labels no owner: nobody but gc --all removes such leftovers.
	StateDir string
	// Images overrides the image of a runtime. Keys are an SCF runtime name
	// ("Python3.9") or a family ("python", "nodejs", "go1",
	// "customruntime"), case-insensitive; the exact name wins. Spec.Image
	// wins over both. See ImagesFromEnv and ParseImageOverride.
	Images map[string]string
	// Pull says when images are pulled; "" means PullMissing. See
	// ResolveImage for what happens when an image cannot be had.
	Pull PullPolicy
	// Network is the bridge network for the containers; "" means
	// DefaultNetwork. It is created, labelled, when missing.
	Network string
	// InitTimeout bounds how long Start waits for an instance to become
	// ready once its container runs; 0 means 15 s. The ctx passed to Start
	// may end sooner.
	InitTimeout time.Duration
	// Logger receives lifecycle events and, at debug level, function
	// output; nil discards.
	Logger *slog.Logger
	// Remote, when set, treats the daemon as one on another machine (see
	// RemoteEngine). NewDocker sets it when DOCKER_HOST or the docker
	// context names a tcp host that is not this machine.
	Remote *RemoteEngine
	// CallbackHost is RemoteEngine.Callback for NewDocker's detection; ""
	// picks the address this machine uses to reach the engine.
	CallbackHost string

	// scope: see Docker.scope; tests set it.
	scope map[string]string
}

// Docker is the runtime that runs every instance in its own container: one
// container per instance, so each (function, version) pair is isolated from
// the others, with the version's code read-only at /var/user, the memory
// limit of the function, no capabilities and ports published on 127.0.0.1
// only (on the engine's address for a remote engine, see RemoteEngine).
type Docker struct {
	api         dockerAPI
	workDir     string
	session     string
	stateDir    string            // absolute, or "": see DockerOptions.StateDir
	images      map[string]string // lower-case key -> image
	pull        PullPolicy
	network     string
	gateway     string        // where runtime APIs listen: the network's gateway, or Remote.Callback
	remote      *RemoteEngine // nil for a daemon on this machine
	user        string        // uid:gid the functions run as; "" leaves the image's
	initTimeout time.Duration
	logger      *slog.Logger
	// scope labels are added to every container and volume and required
	// by RemoveOrphans and Close; tests set them so that they never touch
	// containers of an emulator running beside them.
	scope map[string]string
	// probe tells whether a state dir is held; nil is statelock.Probe.
	probe func(dir string) (statelock.State, error)

	// life is the runtime's own lifetime, not a request's: container
	// watchers run on it, and Close cancels it.
	life       context.Context
	lifeCancel context.CancelFunc
	wg         sync.WaitGroup // container goroutines (drain and watch)

	mu      sync.Mutex            // guards every field below
	closed  bool                  // Close has begun
	live    map[string]*container // created and not yet stopped, by id
	seq     map[string]int        // last number used per container name prefix
	present map[string]bool       // images known to exist locally
	warned  map[string]bool       // image fallbacks already logged

	staticMu sync.Mutex // serialises the creation of the static image

	resolveMu sync.Mutex               // serialises image resolutions (and so pulls)
	resolved  map[string]resolvedImage // guarded by mu: resolve outcomes by image and fallback
	noStatic  bool                     // never create StaticRuntimeImage (tests must not make images)
	noSpares  bool                     // never make spares (fakes, which run no waiter; tests that count containers)

	// removals holds a token per removal in flight; see maxParallelRemovals.
	removals chan struct{}

	volMu   sync.Mutex             // guards volumes
	volumes map[string]*volumeFill // remote engine: code volumes by name

	spares spareSet // idle started containers waiting for code (spare.go)
}

var _ runtime.Runtime = (*Docker)(nil)

// NewDocker connects to the Docker daemon named by DOCKER_HOST or the current
// docker context (see dockerEndpoint), checks that it answers, writes the
// bootstraps into opts.WorkDir and makes sure the bridge network exists.
// When no daemon answers the error matches ErrNoDocker and says how to start
// one. ctx bounds only this setup.
func NewDocker(ctx context.Context, opts DockerOptions) (*Docker, error) {
	ep, err := resolveDockerEndpoint(os.Getenv, os.UserHomeDir)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	api, err := newDockerClient(ep)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	err = api.ping(pctx)
	cancel()
	if err != nil {
		api.close()
		return nil, fmt.Errorf("%w at %s (%v): start it (sudo systemctl start docker, or Docker Desktop) or use --runtime process, which works without Docker", ErrNoDocker, ep, err)
	}
	if opts.Remote == nil {
		if opts.Remote, err = remoteEngineFor(ep, opts.CallbackHost); err != nil {
			api.close()
			return nil, fmt.Errorf("docker runtime: %w", err)
		}
	}
	d, err := newDocker(ctx, api, opts)
	if err != nil {
		api.close()
		return nil, err
	}
	return d, nil
}

// DockerAvailable reports whether a Docker daemon answers a ping within a few
// seconds, for `--runtime auto`.
func DockerAvailable(ctx context.Context) bool {
	ep, err := resolveDockerEndpoint(os.Getenv, os.UserHomeDir)
	if err != nil {
		return false
	}
	api, err := newDockerClient(ep)
	if err != nil {
		return false
	}
	defer api.close()
	ctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	return api.ping(ctx) == nil
}

// newDocker builds the runtime on api; tests pass a fake.
func newDocker(ctx context.Context, api dockerAPI, opts DockerOptions) (*Docker, error) {
	if opts.WorkDir == "" {
		return nil, errors.New("docker runtime: work dir is empty")
	}
	dir, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: work dir: %w", err)
	}
	if err := instance.WriteBootstraps(dir); err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	if err := writeLangDir(dir); err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	stateDir := ""
	if opts.StateDir != "" {
		if stateDir, err = filepath.Abs(opts.StateDir); err != nil {
			return nil, fmt.Errorf("docker runtime: state dir: %w", err)
		}
	}
	d := &Docker{
		api:         api,
		workDir:     dir,
		session:     opts.Session,
		stateDir:    stateDir,
		scope:       opts.scope,
		images:      normaliseImages(opts.Images),
		pull:        opts.Pull,
		network:     opts.Network,
		initTimeout: opts.InitTimeout,
		logger:      opts.Logger,
		live:        make(map[string]*container),
		seq:         make(map[string]int),
		present:     make(map[string]bool),
		warned:      make(map[string]bool),
		resolved:    make(map[string]resolvedImage),
		removals:    make(chan struct{}, maxParallelRemovals),
		volumes:     make(map[string]*volumeFill),
		spares:      spareSet{idle: make(map[string][]*spare), making: make(map[string][]*makingSpare), noShell: make(map[string]bool)},
	}
	if opts.Remote != nil {
		r := *opts.Remote
		d.remote = &r
	}
	if d.session == "" {
		d.session = uuid.NewString()
	}
	if d.network == "" {
		d.network = DefaultNetwork
	}
	if d.initTimeout <= 0 {
		d.initTimeout = defaultInitTimeout
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	if uid, gid := os.Getuid(), os.Getgid(); uid >= 0 && gid >= 0 {
		// The host's ids, so the function reads the code it owns whatever
		// the file modes, and never runs as root unless the emulator does.
		d.user = fmt.Sprintf("%d:%d", uid, gid)
	}
	if d.gateway, err = d.ensureNetwork(ctx); err != nil {
		return nil, err
	}
	if d.remote != nil && d.remote.Callback != "" {
		// "" keeps the bridge's gateway: a local engine told to copy.
		d.gateway = d.remote.Callback
	}
	if err := checkListen(d.gateway); err != nil {
		if d.remote != nil {
			return nil, fmt.Errorf("docker runtime: the engine at %s is remote, and its containers must reach this machine at %s for the runtime api: %w (set %s to an address of this machine that the engine can reach)", d.remote.Host, d.gateway, err, CallbackHostEnv)
		}
		return nil, fmt.Errorf("docker runtime: cannot listen on %s, the gateway of network %s, which containers must reach for the runtime api; is the engine on another machine? name it with DOCKER_HOST=tcp://HOST:2375: %w", d.gateway, d.network, err)
	}
	if d.remote != nil {
		d.logger.Info("remote docker engine: code is copied into volumes", "engine", d.remote.Host, "callback", d.remote.Callback)
	}
	if err := d.api.createVolume(ctx, presenceVolumeName(d.session), d.presenceLabels()); err != nil && !errors.Is(err, errDockerConflict) {
		// Only gc's view of the engine suffers: go on.
		d.logger.Warn("could not create the presence volume", "err", err)
	}
	d.cleanMergeDir()
	// What a run that died left: the state dir's lock says none runs now.
	_ = os.RemoveAll(d.spareRoot())
	d.life, d.lifeCancel = context.WithCancel(context.WithoutCancel(ctx))
	return d, nil
}

// Name returns "docker".
func (d *Docker) Name() string { return "docker" }

// Session returns the session id the runtime labels its containers with.
func (d *Docker) Session() string { return d.session }

// Close removes every container of this session that is still present and
// stops the runtime's goroutines. Stop the Manager first, so that instances
// end cleanly; Close then catches whatever is left. Start fails afterwards.
// A second Close returns nil.
func (d *Docker) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	d.closeSpares()
	d.mu.Lock()
	live := make([]*container, 0, len(d.live))
	for _, c := range d.live {
		live = append(live, c)
	}
	d.mu.Unlock()

	errs := make([]error, len(live))
	var wg sync.WaitGroup
	for i, c := range live {
		wg.Go(func() { errs[i] = c.Stop(ctx) })
	}
	wg.Wait()
	mine := func(labels map[string]string) bool { return labels[LabelSession] == d.session }
	_, err := d.removeWhere(ctx, mine)
	errs = append(errs, err)
	_, err = d.removeVolumes(ctx, mine)
	errs = append(errs, err)
	d.lifeCancel()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("docker runtime: container watchers still running: %w", ctx.Err()))
	}
	// The spares' folders and staged waiter, once no container mounts them.
	errs = append(errs, os.RemoveAll(d.spareRoot()))
	errs = append(errs, d.api.close())
	return errors.Join(errs...)
}
