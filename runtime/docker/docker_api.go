package docker

import (
	"context"
	"errors"
	"io"
	"time"
)

// dockerAPI is what the docker runtime needs from the daemon. The only
// implementation outside tests (docker_client.go) is the one place that
// imports the Docker SDK.
//
// Errors wrap errDockerNotFound, errDockerConflict or errDockerNotModified
// when the daemon answered so.
type dockerAPI interface {
	ping(ctx context.Context) error
	imageExists(ctx context.Context, ref string) (bool, error)
	// imageLabels returns a local image's labels; a missing image is
	// errDockerNotFound.
	imageLabels(ctx context.Context, ref string) (map[string]string, error)
	// pullImage pulls ref and returns when it is complete, calling
	// progress (when not nil) for each layer update the daemon reports.
	pullImage(ctx context.Context, ref string, progress func(pullEvent)) error
	// importImage creates ref from a root file system tar.
	importImage(ctx context.Context, ref string, rootfs io.Reader, changes []string) error
	// networkGateway returns the first IPv4 gateway of a network.
	networkGateway(ctx context.Context, name string) (string, error)
	createNetwork(ctx context.Context, name string, labels map[string]string) error
	// create creates a container; a taken name is errDockerConflict.
	create(ctx context.Context, cfg *containerConfig) (id string, err error)
	// attach connects to the container's stdout and stderr, from now until
	// it exits or the stream is closed; with stdin, to its stdin too (the
	// container must be created with containerConfig.stdin).
	attach(ctx context.Context, id string, stdin bool) (attachStream, error)
	// wait registers for the container's next exit before it returns, so
	// that a start after it cannot be missed. The returned function blocks
	// until the exit (its code) or until ctx ends.
	wait(ctx context.Context, id string) (func() (int64, error), error)
	start(ctx context.Context, id string) error
	inspect(ctx context.Context, idOrName string) (containerInfo, error)
	// remove force-removes a container, running or not.
	remove(ctx context.Context, id string) error
	// list returns every container, running or not, with all the labels.
	list(ctx context.Context, labels map[string]string) ([]containerInfo, error)
	// createVolume creates a named volume; a taken name is errDockerConflict
	// or no error, depending on the daemon.
	createVolume(ctx context.Context, name string, labels map[string]string) error
	// removeVolume force-removes a volume; a missing one is errDockerNotFound.
	removeVolume(ctx context.Context, name string) error
	// listVolumes returns the volumes with all the labels.
	listVolumes(ctx context.Context, labels map[string]string) ([]volumeInfo, error)
	// listNetworks returns the networks carrying the labels, with how
	// many containers are attached to each.
	listNetworks(ctx context.Context, labels map[string]string) ([]networkInfo, error)
	// networksNamed returns the networks of exactly this name, with how
	// many containers are attached to each: more than one when creations
	// raced (the daemon does not stop them), which makes the name
	// ambiguous to every other call.
	networksNamed(ctx context.Context, name string) ([]networkInfo, error)
	// removeNetwork removes a network; one with containers attached is
	// refused.
	removeNetwork(ctx context.Context, idOrName string) error
	// copyTo unpacks a tar archive into dir of a container, started or not.
	copyTo(ctx context.Context, id, dir string, archive io.Reader) error
	// engine says what the daemon runs containers on.
	engine(ctx context.Context) (engineInfo, error)
	close() error
}

// engineInfo is what the daemon says about itself (docker info).
type engineInfo struct {
	osType string // "linux" or "windows": the kind of containers
	arch   string // as uname -m says it: "x86_64", "aarch64", ...
	kernel string // the kernel release the containers run on
	os     string // the engine's host, e.g. "Docker Desktop" or "Debian GNU/Linux 12 (bookworm)"
}

// attachStream is an attached container's output.
type attachStream interface {
	// copyTo writes stdout to stdout and stderr to stderr, demultiplexed,
	// until the container exits or Close is called.
	copyTo(stdout, stderr io.Writer) error
	// sendStdin writes b to the container's stdin, then closes it, within
	// timeout; only a stream attached with stdin has one.
	sendStdin(b []byte, timeout time.Duration) error
	io.Closer
}

// pullEvent is one progress message of a pull about one layer.
type pullEvent struct {
	layer  string // the layer's short id
	status string // as the daemon says it: "Downloading", "Pull complete", ...
	// current and total are bytes of the step in progress; 0 when unknown.
	current, total int64
}

// Outcomes of daemon calls that the runtime branches on.
var (
	errDockerNotFound    = errors.New("not found")
	errDockerConflict    = errors.New("conflict")
	errDockerNotModified = errors.New("not modified")
)

// containerConfig is what the runtime asks of a new container.
type containerConfig struct {
	name        string
	image       string
	cmd         []string
	entrypoint  []string // nil keeps the image's
	env         []string // KEY=value
	workDir     string
	user        string
	labels      map[string]string
	mounts      []bindMount
	memoryBytes int64 // also the memory+swap limit: no swap
	pidsLimit   int64
	// readonlyRootfs, capDrop and securityOpt harden the container.
	readonlyRootfs       bool
	capDrop, securityOpt []string
	tmpfs                map[string]string // path -> mount options
	network              string
	publish              string // container port published at a random port of publishIP; "" none
	publishIP            string // "" means 127.0.0.1
	debugPort            int    // > 0: published at the same port of publishIP, for a debugger
	// stdin keeps the container's stdin open until the first attach that
	// took it closes it, or goes (a shell spare's order, spareshell.go).
	stdin bool
}

// bindMount is a host directory, or a named volume, seen inside a container.
type bindMount struct {
	source, target string
	readOnly       bool
	volume         bool // source names a volume, not a host directory
}

// volumeInfo is what the runtime reads back about a volume.
type volumeInfo struct {
	name    string
	labels  map[string]string
	created time.Time // zero when the daemon does not say
}

// networkInfo is what the runtime reads back about a network.
type networkInfo struct {
	id, name string
	labels   map[string]string
	created  time.Time
	attached int // containers attached
}

// containerInfo is what the runtime reads back about a container. list
// fills only id, name, labels, running and created.
type containerInfo struct {
	id, name  string
	image     string
	labels    map[string]string
	running   bool
	created   time.Time
	exitCode  int
	oomKilled bool
	pid       int    // main process on the host; 0 when not running
	hostPort  string // where the published port landed on the publish IP
	ip        string // address on the runtime's network

	// The limits as applied, for tests and diagnostics.
	memoryBytes, memorySwapBytes, pidsLimit int64
	readonlyRootfs                          bool
	capDrop, securityOpt                    []string
	mounts                                  []bindMount
}
