//go:build unix

package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// fakeDocker is a dockerAPI that keeps containers in memory. A started
// container runs its behaviour in a goroutine, which plays the function: it
// writes output, calls the runtime API (the fake network's gateway is
// 127.0.0.1, so the API server is reachable) and exits.
type fakeDocker struct {
	t *testing.T
	// behave is what a started container does; nil does nothing.
	behave func(fc *fakeContainer)
	wg     sync.WaitGroup // behaviour goroutines

	mu         sync.Mutex                   // guards every field below
	images     map[string]bool              // present images
	labels     map[string]map[string]string // image -> labels, of present images
	imported   []string                     // importImage calls
	pulled     []string                     // pullImage calls
	pullErr    error                        // pullImage's answer
	pullEvents []pullEvent                  // what pullImage reports before it answers
	networks   map[string]string            // name -> gateway
	netLabels  map[string]map[string]string // network name -> labels
	containers map[string]*fakeContainer    // by id, removed ones included
	nextID     int
	creates    []string               // names passed to create, in order
	removing   map[string]int         // id -> remove calls to answer "in progress" before the removal lands
	volumes    map[string]*fakeVolume // by name; see docker_fake_volume_test.go
}

var _ dockerAPI = (*fakeDocker)(nil)

// fakeContainer is one container of a fakeDocker.
type fakeContainer struct {
	f   *fakeDocker
	id  string
	cfg containerConfig

	pr *io.PipeReader // the attach stream
	pw *io.PipeWriter

	exitOnce sync.Once
	exited   chan struct{} // closed by exit
	killed   chan struct{} // closed when removed: the behaviour must return

	created time.Time

	// guarded by f.mu
	running, removed bool
	exitCode         int
	oomKilled        bool
}

func newFakeDocker(t *testing.T, behave func(fc *fakeContainer)) *fakeDocker {
	f := &fakeDocker{
		t:          t,
		behave:     behave,
		images:     map[string]bool{StaticRuntimeImage: true, DebianRuntimeImage: true},
		networks:   map[string]string{},
		containers: map[string]*fakeContainer{},
		removing:   map[string]int{},
	}
	t.Cleanup(f.wg.Wait)
	return f
}

// newFakeRuntime returns a docker runtime on f, closed when the test ends.
func newFakeRuntime(t *testing.T, f *fakeDocker, opts DockerOptions) *Docker {
	t.Helper()
	opts.WorkDir = t.TempDir()
	if opts.Session == "" {
		opts.Session = "s1"
	}
	if opts.InitTimeout == 0 {
		opts.InitTimeout = 2 * time.Second
	}
	d, err := newDocker(t.Context(), f, opts)
	if err != nil {
		t.Fatalf("newDocker: %v", err)
	}
	d.noSpares = true // a fake container runs no waiter
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// write sends s to the container's output.
func (fc *fakeContainer) write(s string) {
	_, _ = fc.pw.Write([]byte(s))
}

// exit ends the container as the kernel or `docker kill` would.
func (fc *fakeContainer) exit(code int, oom bool) {
	fc.exitOnce.Do(func() {
		fc.f.mu.Lock()
		fc.running, fc.exitCode, fc.oomKilled = false, code, oom
		fc.f.mu.Unlock()
		fc.pw.Close()
		close(fc.exited)
	})
}

// env returns the value of key in the container's environment.
func (fc *fakeContainer) env(key string) string {
	for _, kv := range fc.cfg.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// serveAPI plays a custom runtime: ready, then for every event either
// answer, or run act(event) when it returns true (it handled the event,
// e.g. by exiting).
func (fc *fakeContainer) serveAPI(act func(event string) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-fc.killed:
		case <-fc.exited:
		}
		cancel()
	}()
	base := "http://" + fc.env("SCF_RUNTIME_API") + ":" + fc.env("SCF_RUNTIME_API_PORT") + "/runtime"
	var requestID string // of the last /next
	call := func(method, path, body string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if id := resp.Header["request_id"]; len(id) > 0 {
			requestID = id[0]
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	fc.write("fake runtime starting\n")
	if _, err := call(http.MethodPost, "/init/ready", " "); err != nil {
		return
	}
	for {
		event, err := call(http.MethodGet, "/invocation/next", "")
		if err != nil {
			return
		}
		fc.write("fake got " + event + "\n")
		if act != nil && act(event) {
			return
		}
		if m := fc.env(instance.MarkEnv); m != "" { // as the embedded bootstraps do
			fc.write(m + "o" + requestID + "\n" + m + "e" + requestID + "\n")
		}
		if _, err := call(http.MethodPost, "/invocation/response", `{"echo":`+event+`}`); err != nil {
			return
		}
	}
}

func (f *fakeDocker) ping(context.Context) error { return nil }
func (f *fakeDocker) close() error               { return nil }

func (f *fakeDocker) imageExists(_ context.Context, ref string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.images[ref], nil
}

func (f *fakeDocker) imageLabels(_ context.Context, ref string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.images[ref] {
		return nil, fmt.Errorf("image %s: %w", ref, errDockerNotFound)
	}
	return f.labels[ref], nil
}

func (f *fakeDocker) pullImage(_ context.Context, ref string, progress func(pullEvent)) error {
	f.mu.Lock()
	f.pulled = append(f.pulled, ref)
	events, err := f.pullEvents, f.pullErr
	f.mu.Unlock()
	for _, e := range events {
		if progress != nil {
			progress(e)
		}
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[ref] = true
	return nil
}

func (f *fakeDocker) importImage(_ context.Context, ref string, rootfs io.Reader, _ []string) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, rootfs); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imported = append(f.imported, ref)
	f.images[ref] = true
	return nil
}

func (f *fakeDocker) networkGateway(_ context.Context, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gw, ok := f.networks[name]
	if !ok {
		return "", fmt.Errorf("network %s: %w", name, errDockerNotFound)
	}
	return gw, nil
}

func (f *fakeDocker) createNetwork(_ context.Context, name string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.networks[name] = "127.0.0.1"
	if f.netLabels == nil {
		f.netLabels = map[string]map[string]string{}
	}
	f.netLabels[name] = maps.Clone(labels)
	return nil
}

// add puts a container into the fake as if something else had created it.
func (f *fakeDocker) add(name string, labels map[string]string, running bool) *fakeContainer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(&containerConfig{name: name, labels: labels}, running)
}

func (f *fakeDocker) addLocked(cfg *containerConfig, running bool) *fakeContainer {
	f.nextID++
	pr, pw := io.Pipe()
	fc := &fakeContainer{
		f: f, id: fmt.Sprintf("%064d", f.nextID), cfg: *cfg, pr: pr, pw: pw,
		exited: make(chan struct{}), killed: make(chan struct{}), running: running, created: time.Now(),
	}
	fc.cfg.labels = maps.Clone(cfg.labels)
	f.containers[fc.id] = fc
	return fc
}

func (f *fakeDocker) create(_ context.Context, cfg *containerConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, cfg.name)
	if !f.images[cfg.image] {
		return "", fmt.Errorf("no such image %s: %w", cfg.image, errDockerNotFound)
	}
	if f.lookupLocked(cfg.name) != nil {
		return "", fmt.Errorf("name %s is in use: %w", cfg.name, errDockerConflict)
	}
	return f.addLocked(cfg, false).id, nil
}

// lookupLocked finds a container that is not removed by id or name.
func (f *fakeDocker) lookupLocked(idOrName string) *fakeContainer {
	for _, fc := range f.containers {
		if !fc.removed && (fc.id == idOrName || fc.cfg.name == idOrName) {
			return fc
		}
	}
	return nil
}

func (f *fakeDocker) get(idOrName string) (*fakeContainer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil {
		return nil, fmt.Errorf("no such container %s: %w", idOrName, errDockerNotFound)
	}
	return fc, nil
}

func (f *fakeDocker) engine(context.Context) (engineInfo, error) {
	return engineInfo{osType: "linux", arch: "x86_64", kernel: "fake", os: "fake"}, nil
}

func (f *fakeDocker) attach(_ context.Context, id string, _ bool) (attachStream, error) {
	fc, err := f.get(id)
	if err != nil {
		return nil, err
	}
	return fakeStream{fc.pr}, nil
}

// fakeStream is the output of a fake container, all of it stdout.
type fakeStream struct{ *io.PipeReader }

func (s fakeStream) sendStdin([]byte, time.Duration) error {
	return errors.New("fake containers have no stdin")
}

func (s fakeStream) copyTo(stdout, _ io.Writer) error {
	_, err := io.Copy(stdout, s.PipeReader)
	return err
}

func (f *fakeDocker) wait(ctx context.Context, id string) (func() (int64, error), error) {
	fc, err := f.get(id)
	if err != nil {
		return nil, err
	}
	return func() (int64, error) {
		select {
		case <-fc.exited:
			f.mu.Lock()
			defer f.mu.Unlock()
			return int64(fc.exitCode), nil
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}, nil
}

func (f *fakeDocker) start(_ context.Context, id string) error {
	fc, err := f.get(id)
	if err != nil {
		return err
	}
	f.mu.Lock()
	fc.running = true
	f.mu.Unlock()
	if f.behave != nil {
		f.wg.Go(func() { f.behave(fc) })
	}
	return nil
}

func (f *fakeDocker) inspect(_ context.Context, idOrName string) (containerInfo, error) {
	fc, err := f.get(idOrName)
	if err != nil {
		return containerInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return containerInfo{
		id: fc.id, name: fc.cfg.name, image: fc.cfg.image, labels: fc.cfg.labels,
		running: fc.running, exitCode: fc.exitCode, oomKilled: fc.oomKilled,
		memoryBytes: fc.cfg.memoryBytes, memorySwapBytes: fc.cfg.memoryBytes, pidsLimit: fc.cfg.pidsLimit,
		readonlyRootfs: fc.cfg.readonlyRootfs, capDrop: fc.cfg.capDrop, securityOpt: fc.cfg.securityOpt, mounts: fc.cfg.mounts,
	}, nil
}

// remove force-removes: it kills the container (exit 137) first.
func (f *fakeDocker) remove(_ context.Context, id string) error {
	fc, err := f.get(id)
	if err != nil {
		return err
	}
	f.mu.Lock()
	if f.removing[id] > 0 {
		f.removing[id]--
		done := f.removing[id] == 0
		f.mu.Unlock()
		if done {
			// The other removal lands a moment later.
			time.AfterFunc(20*time.Millisecond, func() { f.kill(fc) })
		}
		return fmt.Errorf("removal of container %s is already in progress: %w", id, errDockerConflict)
	}
	f.mu.Unlock()
	f.kill(fc)
	return nil
}

// kill removes fc as `docker rm -f` does.
func (f *fakeDocker) kill(fc *fakeContainer) {
	fc.exit(137, false)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fc.removed {
		fc.removed = true
		close(fc.killed)
	}
}

func (f *fakeDocker) list(_ context.Context, labels map[string]string) ([]containerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []containerInfo
next:
	for _, fc := range f.containers {
		if fc.removed {
			continue
		}
		for k, v := range labels {
			if fc.cfg.labels[k] != v {
				continue next
			}
		}
		out = append(out, containerInfo{id: fc.id, name: fc.cfg.name, labels: fc.cfg.labels, running: fc.running, created: fc.created})
	}
	return out, nil
}

// liveNames returns the names of the containers not removed.
func (f *fakeDocker) liveNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for _, fc := range f.containers {
		if !fc.removed {
			names = append(names, fc.cfg.name)
		}
	}
	return names
}
