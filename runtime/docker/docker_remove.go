package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// removeWhere force-removes the managed containers whose labels match, in
// parallel (removeContainer bounds how many at a time).
func (d *Docker) removeWhere(ctx context.Context, match func(map[string]string) bool) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dockerCallTimeout)
	defer cancel()
	filter := map[string]string{LabelManaged: "true"}
	maps.Copy(filter, d.scope)
	list, err := d.api.list(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	var gone []containerInfo
	for _, c := range list {
		if match(c.labels) {
			gone = append(gone, c)
		}
	}
	return removeAll(gone, func(c containerInfo) error {
		if err := d.removeContainer(ctx, c.id); err != nil {
			return fmt.Errorf("remove container %s: %w", c.name, err)
		}
		d.logger.Info("container removed", "container", c.name, "session", c.labels[LabelSession])
		return nil
	})
}

// removeAll runs remove on every item at once and returns how many
// succeeded and the errors of the others.
func removeAll[T any](items []T, remove func(T) error) (int, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards n and errs
		n    int
		errs []error
	)
	for _, it := range items {
		wg.Go(func() {
			err := remove(it)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			n++
		})
	}
	wg.Wait()
	return n, errors.Join(errs...)
}

// removeContainer force-removes a container and returns once it is gone.
// A container that is gone already, or that someone else is removing, counts
// as removed.
func (d *Docker) removeContainer(ctx context.Context, id string) error {
	return removeContainer(ctx, d.api, d.removals, id)
}

// removeContainer is Docker.removeContainer on api; slots bounds the
// removals in flight.
func removeContainer(ctx context.Context, api dockerAPI, slots chan struct{}, id string) error {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a removal slot: %w", ctx.Err())
	}
	err := api.remove(ctx, id)
	<-slots
	if !errors.Is(err, errDockerConflict) {
		if errors.Is(err, errDockerNotFound) || errors.Is(err, errDockerNotModified) {
			return nil
		}
		return err
	}
	// "removal already in progress": wait for the other removal to finish.
	for {
		if _, ierr := api.inspect(ctx, id); errors.Is(ierr, errDockerNotFound) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (waiting for it: %w)", err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
