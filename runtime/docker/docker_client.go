package docker

// This file is the only one that imports the Docker SDK
// (github.com/docker/docker, frozen at v28.5.2): everything else talks to
// the dockerAPI interface, so that moving to github.com/moby/moby/client
// later touches nothing but this file.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	ctypes "github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// sdkClient implements dockerAPI with the Docker SDK.
type sdkClient struct {
	c *client.Client
}

var _ dockerAPI = (*sdkClient)(nil)

// newDockerClient returns a client for ep that negotiates the API version
// with the daemon (engine 20.10 speaks 1.41; the SDK defaults to newer).
func newDockerClient(ep dockerEndpoint) (*sdkClient, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if ep.host != "" {
		opts = append(opts, client.WithHost(ep.host))
	}
	if ep.caFile != "" || ep.certFile != "" || ep.keyFile != "" {
		opts = append(opts, client.WithTLSClientConfig(ep.caFile, ep.certFile, ep.keyFile))
	}
	c, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", ep, err)
	}
	return &sdkClient{c: c}, nil
}

// classify wraps err with the runtime's sentinel for the daemon's answer.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %w", errDockerNotFound, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w: %w", errDockerConflict, err)
	case cerrdefs.IsNotModified(err):
		return fmt.Errorf("%w: %w", errDockerNotModified, err)
	}
	return err
}

func (s *sdkClient) ping(ctx context.Context) error {
	_, err := s.c.Ping(ctx)
	return err
}

func (s *sdkClient) close() error { return s.c.Close() }

func (s *sdkClient) engine(ctx context.Context) (engineInfo, error) {
	info, err := s.c.Info(ctx)
	if err != nil {
		return engineInfo{}, classify(err)
	}
	return engineInfo{osType: info.OSType, arch: info.Architecture, kernel: info.KernelVersion, os: info.OperatingSystem}, nil
}

func (s *sdkClient) imageExists(ctx context.Context, ref string) (bool, error) {
	_, err := s.c.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, err
}

func (s *sdkClient) imageLabels(ctx context.Context, ref string) (map[string]string, error) {
	img, err := s.c.ImageInspect(ctx, ref)
	if err != nil {
		return nil, classify(err)
	}
	if img.Config == nil {
		return nil, nil
	}
	return img.Config.Labels, nil
}

func (s *sdkClient) pullImage(ctx context.Context, ref string, progress func(pullEvent)) error {
	rc, err := s.c.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return classify(err)
	}
	defer rc.Close()
	return readProgress(rc, progress)
}

func (s *sdkClient) importImage(ctx context.Context, ref string, rootfs io.Reader, changes []string) error {
	rc, err := s.c.ImageImport(ctx, image.ImportSource{Source: rootfs, SourceName: "-"}, ref,
		image.ImportOptions{Changes: changes, Message: "scf-emulator"})
	if err != nil {
		return classify(err)
	}
	defer rc.Close()
	return readProgress(rc, nil)
}

// readProgress reads a pull or import progress stream to its end, passing
// each layer's update to progress (when not nil), and returns the error it
// reports, if any: the daemon reports failures inside the stream, after a
// 200.
func readProgress(r io.Reader, progress func(pullEvent)) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			ProgressDetail struct {
				Current int64 `json:"current"`
				Total   int64 `json:"total"`
			} `json:"progressDetail"`
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
		// Messages without an id ("Digest: ...") and "Pulling from", whose
		// id is the tag, are about the whole image, not a layer.
		if progress != nil && m.ID != "" && !strings.HasPrefix(m.Status, "Pulling from") {
			progress(pullEvent{layer: m.ID, status: m.Status, current: m.ProgressDetail.Current, total: m.ProgressDetail.Total})
		}
	}
}

func (s *sdkClient) networkGateway(ctx context.Context, name string) (string, error) {
	n, err := s.c.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return "", classify(err)
	}
	for _, cfg := range n.IPAM.Config {
		if ip := net.ParseIP(cfg.Gateway); ip != nil && ip.To4() != nil {
			return ip.String(), nil
		}
	}
	return "", nil
}

func (s *sdkClient) createNetwork(ctx context.Context, name string, labels map[string]string) error {
	_, err := s.c.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Labels: labels})
	return classify(err)
}

func (s *sdkClient) create(ctx context.Context, cfg *containerConfig) (string, error) {
	config := &ctypes.Config{
		Image:      cfg.image,
		Cmd:        cfg.cmd,
		Entrypoint: cfg.entrypoint,
		Env:        cfg.env,
		WorkingDir: cfg.workDir,
		User:       cfg.user,
		Labels:     cfg.labels,
		// StdinOnce: the daemon closes stdin when the attach that holds it
		// half-closes or goes, even when the emulator is killed.
		OpenStdin:   cfg.stdin,
		StdinOnce:   cfg.stdin,
		AttachStdin: cfg.stdin,
	}
	pids := cfg.pidsLimit
	host := &ctypes.HostConfig{
		NetworkMode:    ctypes.NetworkMode(cfg.network),
		ReadonlyRootfs: cfg.readonlyRootfs,
		Tmpfs:          cfg.tmpfs,
		CapDrop:        cfg.capDrop,
		SecurityOpt:    cfg.securityOpt,
		Resources: ctypes.Resources{
			Memory:     cfg.memoryBytes,
			MemorySwap: cfg.memoryBytes,
			PidsLimit:  &pids,
		},
	}
	for _, m := range cfg.mounts {
		mt := mount.Mount{Type: mount.TypeBind, Source: m.source, Target: m.target, ReadOnly: m.readOnly}
		if m.volume {
			// NoCopy: an empty volume stays empty; its content is ours.
			mt.Type, mt.VolumeOptions = mount.TypeVolume, &mount.VolumeOptions{NoCopy: true}
		}
		host.Mounts = append(host.Mounts, mt)
	}
	if cfg.publish != "" {
		ip := cfg.publishIP
		if ip == "" {
			ip = "127.0.0.1"
		}
		port := nat.Port(cfg.publish + "/tcp")
		config.ExposedPorts = nat.PortSet{port: {}}
		host.PortBindings = nat.PortMap{port: {{HostIP: ip, HostPort: ""}}}
	}
	publishDebugPort(cfg, config, host)
	resp, err := s.c.ContainerCreate(ctx, config, host, nil, nil, cfg.name)
	if err != nil {
		return "", classify(err)
	}
	return resp.ID, nil
}

func (s *sdkClient) attach(ctx context.Context, id string, stdin bool) (attachStream, error) {
	hj, err := s.c.ContainerAttach(ctx, id, ctypes.AttachOptions{Stream: true, Stdin: stdin, Stdout: true, Stderr: true})
	if err != nil {
		return nil, classify(err)
	}
	return &sdkStream{hj: hj, stdin: stdin}, nil
}

// sdkStream is an attach connection; stdout and stderr arrive multiplexed.
type sdkStream struct {
	hj    types.HijackedResponse
	stdin bool
}

// sendStdin writes b raw (stdin is not multiplexed) and half-closes the
// connection, which closes a StdinOnce container's stdin.
func (a *sdkStream) sendStdin(b []byte, timeout time.Duration) error {
	if !a.stdin {
		return errors.New("attached without stdin")
	}
	err := a.hj.Conn.SetWriteDeadline(time.Now().Add(timeout))
	if err == nil {
		_, err = a.hj.Conn.Write(b)
	}
	if err == nil {
		err = a.hj.CloseWrite()
	}
	return err
}

// copyTo demultiplexes the streams, in the order they arrive.
func (a *sdkStream) copyTo(stdout, stderr io.Writer) error {
	_, err := stdcopy.StdCopy(stdout, stderr, a.hj.Reader)
	return err
}

func (a *sdkStream) Close() error {
	a.hj.Close()
	return nil
}

func (s *sdkClient) wait(ctx context.Context, id string) (func() (int64, error), error) {
	resC, errC := s.c.ContainerWait(ctx, id, ctypes.WaitConditionNextExit)
	select {
	case err := <-errC: // a failed registration is reported at once
		return nil, classify(err)
	default:
	}
	return func() (int64, error) {
		select {
		case res := <-resC:
			if res.Error != nil && res.Error.Message != "" {
				return res.StatusCode, errors.New(res.Error.Message)
			}
			return res.StatusCode, nil
		case err := <-errC:
			return -1, classify(err)
		}
	}, nil
}

func (s *sdkClient) start(ctx context.Context, id string) error {
	return classify(s.c.ContainerStart(ctx, id, ctypes.StartOptions{}))
}

func (s *sdkClient) inspect(ctx context.Context, idOrName string) (containerInfo, error) {
	j, err := s.c.ContainerInspect(ctx, idOrName)
	if err != nil {
		return containerInfo{}, classify(err)
	}
	info := containerInfo{id: j.ID, name: strings.TrimPrefix(j.Name, "/"), image: j.Image}
	if j.Config != nil {
		info.labels = j.Config.Labels
		info.image = j.Config.Image
	}
	if st := j.State; st != nil {
		info.running = st.Running
		info.exitCode = st.ExitCode
		info.oomKilled = st.OOMKilled
		info.pid = st.Pid
	}
	if h := j.HostConfig; h != nil {
		info.memoryBytes = h.Memory
		info.memorySwapBytes = h.MemorySwap
		if h.PidsLimit != nil {
			info.pidsLimit = *h.PidsLimit
		}
		info.readonlyRootfs = h.ReadonlyRootfs
		info.capDrop = h.CapDrop
		info.securityOpt = h.SecurityOpt
		for _, m := range h.Mounts {
			info.mounts = append(info.mounts, bindMount{source: m.Source, target: m.Target, readOnly: m.ReadOnly, volume: m.Type == mount.TypeVolume})
		}
	}
	if ns := j.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[nat.Port(containerPort+"/tcp")] {
			if b.HostPort != "" {
				info.hostPort = b.HostPort
				break
			}
		}
		for _, ep := range ns.Networks {
			if ep != nil && ep.IPAddress != "" {
				info.ip = ep.IPAddress
				break
			}
		}
	}
	return info, nil
}

func (s *sdkClient) remove(ctx context.Context, id string) error {
	return classify(s.c.ContainerRemove(ctx, id, ctypes.RemoveOptions{Force: true, RemoveVolumes: true}))
}

func (s *sdkClient) createVolume(ctx context.Context, name string, labels map[string]string) error {
	_, err := s.c.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels})
	return classify(err)
}

func (s *sdkClient) removeVolume(ctx context.Context, name string) error {
	return classify(s.c.VolumeRemove(ctx, name, true))
}

func (s *sdkClient) listVolumes(ctx context.Context, labels map[string]string) ([]volumeInfo, error) {
	resp, err := s.c.VolumeList(ctx, volume.ListOptions{Filters: labelFilter(labels)})
	if err != nil {
		return nil, classify(err)
	}
	out := make([]volumeInfo, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		created, _ := time.Parse(time.RFC3339, v.CreatedAt)
		out = append(out, volumeInfo{name: v.Name, labels: v.Labels, created: created})
	}
	return out, nil
}

func (s *sdkClient) copyTo(ctx context.Context, id, dir string, archive io.Reader) error {
	return classify(s.c.CopyToContainer(ctx, id, dir, archive, ctypes.CopyToContainerOptions{}))
}

// labelFilter selects objects carrying every label k=v.
func labelFilter(labels map[string]string) filters.Args {
	f := filters.NewArgs()
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	return f
}

func (s *sdkClient) list(ctx context.Context, labels map[string]string) ([]containerInfo, error) {
	all, err := s.c.ContainerList(ctx, ctypes.ListOptions{All: true, Filters: labelFilter(labels)})
	if err != nil {
		return nil, classify(err)
	}
	out := make([]containerInfo, 0, len(all))
	for _, c := range all {
		name := c.ID
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, containerInfo{id: c.ID, name: name, labels: c.Labels, running: c.State == ctypes.StateRunning,
			created: time.Unix(c.Created, 0)})
	}
	return out, nil
}
