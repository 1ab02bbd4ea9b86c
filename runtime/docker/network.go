package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// networkTimeout bounds the network calls at start-up.
const networkTimeout = 30 * time.Second

// ensureNetwork returns the gateway IP of the runtime's bridge network,
// creating the network when it is missing.
//
// The daemon does not stop two creations of one name racing each other: it
// makes two networks, and the name is then ambiguous to every call that
// names it, container creations included, for every emulator on the engine.
// So the emulators of this machine look and create one at a time (lockHost),
// and a name found on several networks (a race with another machine's
// emulator, or an older version's) is repaired: see dedupeNetwork.
func (d *Docker) ensureNetwork(ctx context.Context) (string, error) {
	// A daemon whose network store is wedged (seen with Docker 20.10 under
	// heavy churn) answers pings but hangs every network call: say so
	// rather than wait for ever at start-up.
	ctx, cancel := context.WithTimeout(ctx, networkTimeout)
	defer cancel()
	release, lerr := lockHost(ctx, "network-"+safeName(d.network))
	defer release()
	if lerr != nil && ctx.Err() == nil {
		d.logger.Debug("creating the network without the host's lock", "err", lerr)
	}
	gw, err := d.api.networkGateway(ctx, d.network)
	if errors.Is(err, errDockerNotFound) {
		// The network is shared: its owner labels name only its creator.
		labels := d.ownerLabels()
		delete(labels, LabelSession)
		for k := range d.scope {
			delete(labels, k)
		}
		if err = d.api.createNetwork(ctx, d.network, labels); err == nil || errors.Is(err, errDockerConflict) {
			// Conflict: another emulator created it at the same moment.
			gw, err = d.api.networkGateway(ctx, d.network)
		}
	}
	if err != nil && !errors.Is(err, errDockerNotFound) && ctx.Err() == nil {
		// Perhaps ambiguous: the daemon says so only in words.
		if removed, derr := d.dedupeNetwork(ctx); derr != nil {
			return "", derr
		} else if removed > 0 {
			gw, err = d.api.networkGateway(ctx, d.network)
		}
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "", fmt.Errorf("docker runtime: the docker daemon did not answer about network %s within %s: its network store may be stuck; restart the daemon (sudo systemctl restart docker), or run with --runtime process: %w", d.network, networkTimeout, err)
	}
	if err != nil {
		return "", fmt.Errorf("docker runtime: network %s: %w", d.network, err)
	}
	if gw == "" {
		return "", fmt.Errorf("docker runtime: network %s has no IPv4 gateway: remove it (docker network rm %s) so that it is created again", d.network, d.network)
	}
	return gw, nil
}

// dedupeNetwork leaves one network of the runtime's network name when
// racing creations made several, and returns how many it removed. It keeps
// the one most containers are attached to, then the oldest (the one
// emulators started earlier use), then the least ID, so that emulators
// repairing at the same moment keep the same one; it removes only
// emulator-made duplicates that no container is attached to.
func (d *Docker) dedupeNetwork(ctx context.Context) (int, error) {
	ns, err := d.api.networksNamed(ctx, d.network)
	if err != nil || len(ns) < 2 {
		return 0, err
	}
	slices.SortFunc(ns, func(a, b networkInfo) int {
		return cmp.Or(cmp.Compare(b.attached, a.attached), a.created.Compare(b.created), strings.Compare(a.id, b.id))
	})
	removed := 0
	var left []string
	for _, n := range ns[1:] {
		if n.attached == 0 && n.labels[LabelManaged] == "true" {
			err := d.api.removeNetwork(ctx, n.id)
			if err == nil || errors.Is(err, errDockerNotFound) {
				removed++ // gone already: another emulator repaired it
				d.logger.Info("removed a duplicate network", "network", d.network, "id", shortID(n.id))
				continue
			}
		}
		left = append(left, shortID(n.id))
	}
	if len(left) > 0 {
		return removed, fmt.Errorf("docker runtime: %d networks are named %s, which makes the name ambiguous: keep %s and remove the others (docker network rm %s) once no container uses them",
			len(left)+1, d.network, shortID(ns[0].id), strings.Join(left, " "))
	}
	return removed, nil
}

// safeName keeps the letters, digits, '-', '_' and '.' of a name, for a
// file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
