package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/scf-emulator/emulator/statelock"
)

// Kinds of managed objects a Janitor lists.
const (
	KindContainer = "container"
	KindVolume    = "volume"   // code and bootstrap copies for a remote engine
	KindEmulator  = "emulator" // an emulator's presence volume
	KindNetwork   = "network"
)

// Leftover is one managed object on the engine and what may be done with it.
type Leftover struct {
	Kind    string
	Name    string
	Owner   Owner
	Created time.Time // zero when the engine does not say
	Status  Status
	Running bool // containers only
	id      string
}

// Janitor lists the containers, volumes and network that docker runtimes
// created on an engine, tells whose they are, and removes them: what
// `emulator up` does at start-up with the abandoned ones, and `emulator gc`
// on request.
type Janitor struct {
	api      dockerAPI
	scope    map[string]string // tests: only objects carrying these labels
	self     Owner
	probe    func(string) (statelock.State, error) // nil: statelock.Probe
	network  string
	logger   *slog.Logger
	removals chan struct{} // see maxParallelRemovals
}

// JanitorOptions configures NewJanitor; the zero value is usable.
type JanitorOptions struct {
	// Network is the runtime's network; "" means DefaultNetwork.
	Network string
	Logger  *slog.Logger
}

// NewJanitor connects to the Docker daemon as NewDocker does, without
// creating anything. Close it when done.
func NewJanitor(ctx context.Context, opts JanitorOptions) (*Janitor, error) {
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
		return nil, fmt.Errorf("%w at %s (%v)", ErrNoDocker, ep, err)
	}
	return newJanitor(api, Owner{Host: ThisHost()}, opts), nil
}

func newJanitor(api dockerAPI, self Owner, opts JanitorOptions) *Janitor {
	j := &Janitor{api: api, self: self, network: opts.Network, logger: opts.Logger,
		removals: make(chan struct{}, maxParallelRemovals)}
	if j.network == "" {
		j.network = DefaultNetwork
	}
	if j.logger == nil {
		j.logger = slog.New(slog.DiscardHandler)
	}
	return j
}

// Close releases the connection to the daemon.
func (j *Janitor) Close() error { return j.api.close() }

// List returns every managed container and volume and the runtime's
// network, with their owners and Status, containers first.
func (j *Janitor) List(ctx context.Context) ([]Leftover, error) {
	out, err := j.list(ctx, true)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (j *Janitor) list(ctx context.Context, withNetwork bool) ([]Leftover, error) {
	filter := map[string]string{LabelManaged: "true"}
	maps.Copy(filter, j.scope)
	cs, err := j.api.list(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	vs, err := j.api.listVolumes(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var ns []networkInfo
	if withNetwork {
		if ns, err = j.api.listNetworks(ctx, filter); err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
	}
	// Probed after listing: see classifier.
	cl := newClassifier(j.self, j.probe)
	var out []Leftover
	for _, c := range cs {
		o, _ := ownerOf(c.labels)
		out = append(out, Leftover{Kind: KindContainer, Name: c.name, id: c.id, Owner: o,
			Created: c.created, Running: c.running, Status: cl.classify(c.labels)})
	}
	for _, v := range vs {
		o, _ := ownerOf(v.labels)
		kind := KindVolume
		if v.labels[LabelRole] == rolePresence {
			kind = KindEmulator
		}
		out = append(out, Leftover{Kind: kind, Name: v.name, id: v.name, Owner: o,
			Created: v.created, Status: cl.classify(v.labels)})
	}
	// The network goes with the abandoned objects when nothing else is
	// left: no kept object, and no container attached beyond the listed
	// (abandoned) running ones, which Remove removes first.
	kept := slices.ContainsFunc(out, func(l Leftover) bool { return !l.Status.Abandoned() })
	running := 0
	for _, l := range out {
		if l.Running {
			running++
		}
	}
	for _, n := range ns {
		if n.name != j.network {
			continue
		}
		o, _ := ownerOf(n.labels)
		st := StatusNetworkUnused
		if kept || n.attached > running {
			st = StatusNetworkInUse
		}
		out = append(out, Leftover{Kind: KindNetwork, Name: n.name, id: n.id, Owner: o, Created: n.created, Status: st})
	}
	return out, nil
}

// Removed counts what Remove removed, by kind.
type Removed map[string]int

// Remove removes items: containers first, then the volumes they mounted,
// then the network, which the daemon refuses while a container is attached.
// What is gone already counts as removed. It goes on after a failure and
// returns every error.
func (j *Janitor) Remove(ctx context.Context, items []Leftover) (Removed, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*dockerCallTimeout)
	defer cancel()
	done := Removed{}
	var errs []error
	for _, kind := range []string{KindContainer, KindVolume, KindEmulator, KindNetwork} {
		batch := slices.DeleteFunc(slices.Clone(items), func(l Leftover) bool { return l.Kind != kind })
		n, err := removeAll(batch, func(l Leftover) error {
			if err := j.remove(ctx, l); err != nil {
				return fmt.Errorf("remove %s %s: %w", l.Kind, l.Name, err)
			}
			j.logger.Info("removed", "kind", l.Kind, "name", l.Name, "status", l.Status.String(),
				"host", l.Owner.Host.Name, "state_dir", l.Owner.StateDir, "session", l.Owner.Session)
			return nil
		})
		done[kind] = n
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

func (j *Janitor) remove(ctx context.Context, l Leftover) error {
	var err error
	switch l.Kind {
	case KindContainer:
		return removeContainer(ctx, j.api, j.removals, l.id)
	case KindNetwork:
		err = j.api.removeNetwork(ctx, l.id)
	default:
		err = j.api.removeVolume(ctx, l.id)
	}
	if errors.Is(err, errDockerNotFound) {
		return nil
	}
	return err
}

// Abandoned returns the items whose Status is abandoned: what an emulator
// may remove without asking.
func Abandoned(items []Leftover) []Leftover {
	return slices.DeleteFunc(slices.Clone(items), func(l Leftover) bool { return !l.Status.Abandoned() })
}

// RemoveOrphans removes what earlier emulators provably abandoned on the
// engine (see Status): containers and volumes of earlier runs of this
// runtime's state dir, and those of same-host emulators whose state dir is
// gone or unlocked. It never touches keepSession's, live emulators',
// other hosts' or unlabelled ones, nor the network. It returns how many
// containers it removed. Call it once at start-up with Session(), while
// holding the state dir's lock.
func (d *Docker) RemoveOrphans(ctx context.Context, keepSession string) (int, error) {
	j := newJanitor(d.api, Owner{Host: ThisHost(), StateDir: d.stateDir, Session: keepSession},
		JanitorOptions{Network: d.network, Logger: d.logger})
	j.scope, j.probe, j.removals = d.scope, d.probe, d.removals
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*dockerCallTimeout)
	defer cancel()
	items, err := j.list(ctx, false)
	if err != nil {
		return 0, err
	}
	n, err := j.Remove(ctx, Abandoned(items))
	return n[KindContainer], err
}
