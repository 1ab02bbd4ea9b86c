package docker

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
)

// RemoteEngine describes a Docker daemon on another machine. Such a daemon
// cannot bind-mount this machine's folders, its bridge is not this
// machine's, and a port it publishes on its loopback is out of reach; so,
// with a remote engine, the docker runtime copies each version's code and
// the bootstraps into named volumes, runs the runtime APIs on Callback, and
// publishes function ports on Host.
type RemoteEngine struct {
	// Host is the engine's IP address: Go1 and web function ports are
	// published on it and dialled there.
	Host string
	// Callback is this machine's IP address as the engine's containers
	// reach it: the runtime APIs listen there.
	Callback string
}

// CallbackHostEnv overrides RemoteEngine.Callback, for a machine whose
// route to the engine is not the way back (NAT, several interfaces).
const CallbackHostEnv = "SCF_EMULATOR_CALLBACK_HOST"

// remoteEngineFor returns the RemoteEngine of an endpoint on another
// machine, nil for a local one (a socket, or a tcp host that is one of
// this machine's addresses). callback "" picks the address this machine
// uses to reach the engine.
func remoteEngineFor(ep dockerEndpoint, callback string) (*RemoteEngine, error) {
	if ep.host == "" {
		return nil, nil
	}
	u, err := url.Parse(ep.host)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") {
		return nil, nil // unix://, npipe:// and the like are local
	}
	ip, err := resolveIPv4(u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("docker host %s: %w", ep, err)
	}
	if ip.IsLoopback() || isLocalIP(ip) {
		return nil, nil
	}
	r := &RemoteEngine{Host: ip.String(), Callback: callback}
	if r.Callback == "" {
		port := u.Port()
		if port == "" {
			port = "2375"
		}
		// A UDP "connection" sends nothing: it only asks the kernel which
		// local address routes to the engine.
		c, err := net.Dial("udp", net.JoinHostPort(r.Host, port))
		if err != nil {
			return nil, fmt.Errorf("docker host %s: no route from this machine: %w", ep, err)
		}
		r.Callback = c.LocalAddr().(*net.UDPAddr).IP.String()
		c.Close()
	}
	return r, nil
}

func resolveIPv4(host string) (net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip, nil
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	return ips[0], nil
}

func isLocalIP(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// Remote returns the remote engine the runtime copies code to, nil for a
// daemon on this machine.
func (d *Docker) Remote() *RemoteEngine {
	if d.remote == nil {
		return nil
	}
	r := *d.remote
	return &r
}

// mountsFor returns the code, bootstrap and layer mounts of spec's
// containers: bind mounts of this machine's folders for a local engine,
// volumes holding copies of them for a remote one.
func (d *Docker) mountsFor(ctx context.Context, spec runtime.Spec, image string) ([]bindMount, error) {
	layers, err := d.layerTree(spec)
	if err != nil {
		return nil, err
	}
	if d.remote == nil {
		mounts := []bindMount{
			{source: spec.CodeDir, target: containerCodeDir, readOnly: true},
			{source: d.workDir, target: containerRuntimeDir, readOnly: true},
		}
		if layers != "" {
			mounts = append(mounts, bindMount{source: layers, target: containerLayerDir, readOnly: true})
		}
		return mounts, nil
	}
	code, rt := codeVolumeName(d.session, spec.CodeDir), runtimeVolumeName(d.session)
	vols := []struct{ name, dir, target string }{{code, spec.CodeDir, containerCodeDir}, {rt, d.workDir, containerRuntimeDir}}
	if layers != "" {
		vols = append(vols, struct{ name, dir, target string }{codeVolumeName(d.session, layers), layers, containerLayerDir})
	}
	var mounts []bindMount
	for _, v := range vols {
		if err := d.filledVolume(ctx, v.name, v.dir, image); err != nil {
			return nil, startFailed(ctx, "cannot copy the code to the remote docker engine", err)
		}
		mounts = append(mounts, bindMount{source: v.name, target: v.target, readOnly: true, volume: true})
	}
	return mounts, nil
}

// publishIP is where function ports are published: this machine's loopback,
// or the remote engine's address.
func (d *Docker) publishIP() string {
	if d.remote != nil {
		return d.remote.Host
	}
	return "127.0.0.1"
}

// checkListen reports whether a server of this process can listen on ip.
func checkListen(ip string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return err
	}
	return ln.Close()
}

// Volume names: the session's bootstraps, and one volume per code
// directory (snapshots never change, so a directory's volume stays right).
func runtimeVolumeName(session string) string { return "scf-runtime-" + short(session, 12) }

func codeVolumeName(session, codeDir string) string {
	sum := sha256.Sum256([]byte(codeDir))
	return "scf-code-" + short(session, 8) + "-" + hex.EncodeToString(sum[:8])
}

func short(s string, n int) string {
	s = strings.ReplaceAll(s, "-", "")
	if len(s) > n {
		return s[:n]
	}
	return s
}

// volumeFill is one volume being filled, or filled: waiters block on done.
type volumeFill struct {
	done chan struct{}
	err  error
}

// filledVolume returns the named volume holding a copy of dir, creating and
// filling it on first use; concurrent callers for one volume share the
// work, and a failed fill is retried by the next caller. image is any image
// present on the engine: the copy goes through a container of it that is
// created, never started, then removed.
func (d *Docker) filledVolume(ctx context.Context, name, dir, image string) error {
	d.volMu.Lock()
	f, ok := d.volumes[name]
	if !ok {
		f = &volumeFill{done: make(chan struct{})}
		d.volumes[name] = f
	}
	d.volMu.Unlock()
	if ok {
		select {
		case <-f.done:
			if f.err != nil {
				return d.filledVolume(ctx, name, dir, image)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// The fill runs to the end even when this request gives up: others may
	// be waiting for it.
	f.err = d.fillVolume(context.WithoutCancel(ctx), name, dir, image)
	if f.err != nil {
		d.volMu.Lock()
		delete(d.volumes, name)
		d.volMu.Unlock()
	}
	close(f.done)
	return f.err
}

func (d *Docker) fillVolume(ctx context.Context, name, dir, image string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*dockerCallTimeout)
	defer cancel()
	labels := d.ownerLabels()
	if err := d.api.createVolume(ctx, name, labels); err != nil && !errors.Is(err, errDockerConflict) {
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	const target = "/fill"
	id, err := d.api.create(ctx, &containerConfig{
		name:    "scf-fill-" + strings.TrimPrefix(name, "scf-"),
		image:   image,
		cmd:     []string{"/never-started"},
		labels:  labels,
		mounts:  []bindMount{{source: name, target: target, volume: true}},
		network: "none",
	})
	if err != nil {
		return fmt.Errorf("copy %s into volume %s: create helper container: %w", dir, name, err)
	}
	defer d.removeContainer(ctx, id)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, dir, d.user)) }()
	err = d.api.copyTo(ctx, id, target, pr)
	pr.CloseWithError(errors.New("copy ended"))
	if err != nil {
		return fmt.Errorf("copy %s into volume %s: %w", dir, name, err)
	}
	return nil
}

// writeTar writes dir's tree as a tar archive, owned by user ("uid:gid";
// "" keeps root) so that the function, which runs as that user, reads it
// whatever the file modes.
func writeTar(w io.Writer, dir, user string) error {
	uid, gid := 0, 0
	if a, b, ok := strings.Cut(user, ":"); ok {
		uid, _ = strconv.Atoi(a)
		gid, _ = strconv.Atoi(b)
	}
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = filepath.ToSlash(rel), uid, gid, "", ""
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// removeVolumes force-removes the managed volumes whose labels match; used
// after the containers that mount them are gone.
func (d *Docker) removeVolumes(ctx context.Context, match func(map[string]string) bool) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dockerCallTimeout)
	defer cancel()
	filter := map[string]string{LabelManaged: "true"}
	maps.Copy(filter, d.scope)
	list, err := d.api.listVolumes(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("list volumes: %w", err)
	}
	var names []string
	for _, v := range list {
		if match(v.labels) {
			names = append(names, v.name)
		}
	}
	return removeAll(names, func(name string) error {
		if err := d.api.removeVolume(ctx, name); err != nil && !errors.Is(err, errDockerNotFound) {
			return fmt.Errorf("remove volume %s: %w", name, err)
		}
		return nil
	})
}
