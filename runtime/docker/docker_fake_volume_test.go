package docker

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// fakeVolume is a volume of a fakeDocker: its labels and the files copied
// into it, by slash path relative to the volume's root.
type fakeVolume struct {
	labels map[string]string
	files  map[string]string // regular files: content; directories: "/"
	modes  map[string]int64
	uids   map[string]int
}

func (f *fakeDocker) createVolume(_ context.Context, name string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.volumes == nil {
		f.volumes = map[string]*fakeVolume{}
	}
	if _, ok := f.volumes[name]; !ok {
		f.volumes[name] = &fakeVolume{labels: labels, files: map[string]string{}, modes: map[string]int64{}, uids: map[string]int{}}
	}
	return nil
}

func (f *fakeDocker) removeVolume(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.volumes[name]; !ok {
		return fmt.Errorf("volume %s: %w", name, errDockerNotFound)
	}
	for _, fc := range f.containers {
		for _, m := range fc.cfg.mounts {
			if m.volume && m.source == name && !fc.removed {
				return fmt.Errorf("volume %s is in use by %s: %w", name, fc.cfg.name, errDockerConflict)
			}
		}
	}
	delete(f.volumes, name)
	return nil
}

func (f *fakeDocker) listVolumes(_ context.Context, labels map[string]string) ([]volumeInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []volumeInfo
next:
	for name, v := range f.volumes {
		for k, want := range labels {
			if v.labels[k] != want {
				continue next
			}
		}
		out = append(out, volumeInfo{name: name, labels: v.labels})
	}
	return out, nil
}

// copyTo unpacks the archive into the volume mounted at dir, as the daemon
// does for a container that was created and not started.
func (f *fakeDocker) copyTo(_ context.Context, id, dir string, archive io.Reader) error {
	fc, err := f.get(id)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var v *fakeVolume
	for _, m := range fc.cfg.mounts {
		if m.volume && m.target == dir && !m.readOnly {
			v = f.volumes[m.source]
		}
	}
	if v == nil {
		return fmt.Errorf("fake docker: no writable volume at %s of %s", dir, fc.cfg.name)
	}
	tr := tar.NewReader(archive)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimSuffix(h.Name, "/"))
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeDir {
			v.files[name] = "/"
		} else {
			v.files[name] = string(b)
		}
		v.modes[name], v.uids[name] = h.Mode, h.Uid
	}
}

// volume returns a copy of the named volume's files, nil when it is absent.
func (f *fakeDocker) volume(name string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.volumes[name]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(v.files))
	for k, c := range v.files {
		out[k] = c
	}
	return out
}

// listNetworks lists the fake's networks with their labels; a network
// counts the containers not removed that name it as attached.
func (f *fakeDocker) listNetworks(_ context.Context, labels map[string]string) ([]networkInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []networkInfo
next:
	for name := range f.networks {
		for k, want := range labels {
			if f.netLabels[name][k] != want {
				continue next
			}
		}
		n := networkInfo{id: "net-" + name, name: name, labels: f.netLabels[name]}
		for _, fc := range f.containers {
			if !fc.removed && fc.cfg.network == name {
				n.attached++
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// networksNamed: the fake holds one network per name, so it never races.
func (f *fakeDocker) networksNamed(ctx context.Context, name string) ([]networkInfo, error) {
	all, err := f.listNetworks(ctx, nil)
	return slices.DeleteFunc(all, func(n networkInfo) bool { return n.name != name }), err
}

func (f *fakeDocker) removeNetwork(_ context.Context, idOrName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := strings.TrimPrefix(idOrName, "net-")
	if _, ok := f.networks[name]; !ok {
		return fmt.Errorf("network %s: %w", idOrName, errDockerNotFound)
	}
	for _, fc := range f.containers {
		if !fc.removed && fc.cfg.network == name {
			return fmt.Errorf("network %s has active endpoints", name)
		}
	}
	delete(f.networks, name)
	delete(f.netLabels, name)
	return nil
}
