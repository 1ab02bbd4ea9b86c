package docker

// The Docker SDK calls of the janitor (network listing and removal); like
// docker_client.go, the only other file that imports the SDK.

import (
	"context"
	"errors"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
)

func (s *sdkClient) listNetworks(ctx context.Context, labels map[string]string) ([]networkInfo, error) {
	return s.networks(ctx, labelFilter(labels), "")
}

func (s *sdkClient) networksNamed(ctx context.Context, name string) ([]networkInfo, error) {
	return s.networks(ctx, filters.NewArgs(filters.Arg("name", name)), name)
}

// networks lists the networks f matches, exactly named name unless it is
// "", with how many containers are attached to each.
func (s *sdkClient) networks(ctx context.Context, f filters.Args, name string) ([]networkInfo, error) {
	list, err := s.c.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, classify(err)
	}
	out := make([]networkInfo, 0, len(list))
	for _, n := range list {
		if name != "" && n.Name != name {
			continue // the name filter matches parts of names too
		}
		// The list leaves Containers empty: only an inspect counts them.
		full, err := s.c.NetworkInspect(ctx, n.ID, network.InspectOptions{})
		if err := classify(err); errors.Is(err, errDockerNotFound) {
			continue // removed in between
		} else if err != nil {
			return nil, err
		}
		out = append(out, networkInfo{id: n.ID, name: n.Name, labels: n.Labels, created: n.Created, attached: len(full.Containers)})
	}
	return out, nil
}

func (s *sdkClient) removeNetwork(ctx context.Context, idOrName string) error {
	return classify(s.c.NetworkRemove(ctx, idOrName))
}
