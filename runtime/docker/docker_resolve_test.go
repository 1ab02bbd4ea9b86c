package docker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
)

var errNoRegistry = errors.New("dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: no such host")

func TestParsePullPolicy(t *testing.T) {
	for in, want := range map[string]PullPolicy{"missing": PullMissing, "Always": PullAlways, " never ": PullNever} {
		if got, err := ParsePullPolicy(in); err != nil || got != want {
			t.Errorf("ParsePullPolicy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "sometimes", "true"} {
		if _, err := ParsePullPolicy(bad); err == nil || !strings.Contains(err.Error(), "always, missing or never") {
			t.Errorf("ParsePullPolicy(%q) error = %v, want one listing the policies", bad, err)
		}
	}
}

func TestDockerResolveImage(t *testing.T) {
	python := func(s runtime.Spec) runtime.Spec { s.Runtime = "Python3.9"; return s }
	tests := []struct {
		name    string
		present []string
		pull    PullPolicy
		pullErr error
		spec    func(runtime.Spec) runtime.Spec
		want    runtime.ImageResolution // Runtime is filled from the spec
		pulled  []string
		errText []string // when unavailable
	}{
		{
			name:    "present: no pull",
			present: []string{"python:3.9-slim"},
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", Image: "python:3.9-slim", State: runtime.ImagePresent},
		},
		{
			name:   "missing: pulled",
			spec:   python,
			want:   runtime.ImageResolution{Wanted: "python:3.9-slim", Image: "python:3.9-slim", State: runtime.ImagePulled},
			pulled: []string{"python:3.9-slim"},
		},
		{
			name:    "pull fails: the debian image stands in",
			present: []string{DebianRuntimeImage},
			pullErr: errNoRegistry,
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", Image: DebianRuntimeImage, State: runtime.ImageFallback},
			pulled:  []string{"python:3.9-slim"},
		},
		{
			name:    "pull fails, no debian image: unavailable",
			pullErr: errNoRegistry,
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", State: runtime.ImageUnavailable},
			pulled:  []string{"python:3.9-slim"},
			errText: []string{"python:3.9-slim", "could not be pulled", "docker pull python:3.9-slim", "emulator images --build", "no such host"},
		},
		{
			name:    "never: no pull, the debian image stands in",
			present: []string{DebianRuntimeImage},
			pull:    PullNever,
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", Image: DebianRuntimeImage, State: runtime.ImageFallback},
		},
		{
			name:    "always: a present registry image is pulled",
			present: []string{"python:3.9-slim"},
			pull:    PullAlways,
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", Image: "python:3.9-slim", State: runtime.ImagePulled},
			pulled:  []string{"python:3.9-slim"},
		},
		{
			name:    "always: a failed pull keeps the local copy",
			present: []string{"python:3.9-slim"},
			pull:    PullAlways,
			pullErr: errNoRegistry,
			spec:    python,
			want:    runtime.ImageResolution{Wanted: "python:3.9-slim", Image: "python:3.9-slim", State: runtime.ImagePresent},
			pulled:  []string{"python:3.9-slim"},
		},
		{
			name:    "always: the emulator's own images are never pulled",
			present: []string{DebianRuntimeImage},
			pull:    PullAlways,
			want:    runtime.ImageResolution{Wanted: DebianRuntimeImage, Image: DebianRuntimeImage, State: runtime.ImagePresent},
		},
		{
			name:    "missing debian image is not pulled: it is built",
			present: []string{},
			want:    runtime.ImageResolution{Wanted: DebianRuntimeImage, State: runtime.ImageUnavailable},
			errText: []string{DebianRuntimeImage, "emulator images --build"},
		},
		{
			name:    "missing static image is created",
			present: []string{},
			spec:    func(s runtime.Spec) runtime.Spec { s.Image = StaticRuntimeImage; return s },
			want:    runtime.ImageResolution{Wanted: StaticRuntimeImage, Image: StaticRuntimeImage, State: runtime.ImageCreated},
		},
		{
			name:    "an image named in the config is resolved the same way",
			present: []string{DebianRuntimeImage},
			pullErr: errNoRegistry,
			spec: func(s runtime.Spec) runtime.Spec {
				s.Runtime = "Nodejs18.15"
				s.Image = "scf-emulator-test/nope:1"
				return s
			},
			want:    runtime.ImageResolution{Wanted: "scf-emulator-test/nope:1", State: runtime.ImageUnavailable},
			pulled:  []string{"scf-emulator-test/nope:1"},
			errText: []string{"scf-emulator-test/nope:1", "docker pull scf-emulator-test/nope:1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t, echoAPI)
			f.images, f.pullErr = map[string]bool{}, tc.pullErr
			for _, img := range tc.present {
				f.images[img] = true
			}
			d := newFakeRuntime(t, f, DockerOptions{Pull: tc.pull})
			spec := fakeSpec(t)
			if tc.spec != nil {
				spec = tc.spec(spec)
			}
			tc.want.Runtime = spec.Runtime
			for i := range 2 { // the second call is answered from the cache
				got, err := d.ResolveImage(t.Context(), spec, nil)
				if got != tc.want {
					t.Errorf("call %d: resolution %+v, want %+v", i+1, got, tc.want)
				}
				if tc.want.State == runtime.ImageUnavailable {
					if !errors.Is(err, runtime.ErrImageUnavailable) {
						t.Fatalf("call %d: error %v, want runtime.ErrImageUnavailable", i+1, err)
					}
					for _, s := range tc.errText {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error %q lacks %q", err, s)
						}
					}
				} else if err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			if !slices.Equal(f.pulled, tc.pulled) {
				t.Errorf("pulled %q, want %q", f.pulled, tc.pulled)
			}
		})
	}
}

func TestDockerPullProgress(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	f.pullEvents = []pullEvent{
		{layer: "a1", status: "Pulling fs layer"},
		{layer: "b2", status: "Already exists"},
		{layer: "a1", status: "Downloading", current: 400, total: 1000},
		{layer: "a1", status: "Downloading", current: 900, total: 1000},
		{layer: "a1", status: "Download complete"},
		{layer: "a1", status: "Extracting", current: 10, total: 1000},
		{layer: "a1", status: "Pull complete"},
	}
	d := newFakeRuntime(t, f, DockerOptions{})
	spec := fakeSpec(t)
	spec.Runtime = "Python3.9"
	var got []runtime.PullProgress
	res, err := d.ResolveImage(t.Context(), spec, func(p runtime.PullProgress) { got = append(got, p) })
	if err != nil || res.State != runtime.ImagePulled {
		t.Fatalf("ResolveImage = %+v, %v; want pulled", res, err)
	}
	if len(got) != len(f.pullEvents)+2 {
		t.Fatalf("%d progress reports, want one at the start, one per event and one at the end: %+v", len(got), got)
	}
	if first := got[0]; first.Image != "python:3.9-slim" || first.Layers != 0 || first.Done {
		t.Errorf("first report %+v, want python:3.9-slim, nothing known yet", first)
	}
	if mid := got[4]; mid.Layers != 2 || mid.LayersDone != 1 || mid.Bytes != 900 || mid.Total != 1000 {
		t.Errorf("report after 900 of 1000 bytes: %+v", mid)
	}
	want := runtime.PullProgress{Image: "python:3.9-slim", Layers: 2, LayersDone: 2, Bytes: 1000, Total: 1000, Done: true}
	if last := got[len(got)-1]; last != want {
		t.Errorf("last report %+v, want %+v", last, want)
	}

	// A failed pull ends with Done and the error.
	f.pullErr, f.pullEvents = errNoRegistry, nil
	spec.Runtime = "Nodejs18.15"
	got = nil
	if _, err := d.ResolveImage(t.Context(), spec, func(p runtime.PullProgress) { got = append(got, p) }); err != nil {
		t.Fatalf("node falls back to the debian image, got %v", err)
	}
	if last := got[len(got)-1]; !last.Done || !errors.Is(last.Err, errNoRegistry) {
		t.Errorf("last report of a failed pull %+v, want Done with the error", last)
	}
}

// TestMixedRuntime: under --runtime auto a function whose image cannot be
// had runs on the process runtime, the others in containers.
func TestMixedRuntime(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	f.images, f.pullErr = map[string]bool{StaticRuntimeImage: true}, errNoRegistry
	d := newFakeRuntime(t, f, DockerOptions{})
	proc := &fallbackRuntime{}
	m := runtime.NewMixed(d, proc, nil)
	if m.Name() != "docker" {
		t.Errorf("Name = %q, want docker", m.Name())
	}

	py := fakeSpec(t)
	py.Runtime = "Python3.9"
	rt, res, err := m.Runs(t.Context(), py, nil)
	if err != nil || rt != runtime.Runtime(proc) || res.State != runtime.ImageUnavailable || res.Wanted != "python:3.9-slim" {
		t.Fatalf("Runs(python) = %v, %+v, %v; want the process runtime for an unavailable python:3.9-slim", rt, res, err)
	}
	in, err := m.Start(t.Context(), py)
	if err != nil {
		t.Fatalf("Start(python): %v", err)
	}
	in.Stop(context.Background())
	if starts, _ := proc.counts(); starts != 1 {
		t.Errorf("process runtime started %d instances, want 1", starts)
	}
	if len(f.pulled) != 1 {
		t.Errorf("pulled %q, want one pull (the second start uses the known outcome)", f.pulled)
	}

	static := fakeSpec(t)
	static.Image = StaticRuntimeImage
	in, err = m.Start(t.Context(), static)
	if err != nil {
		t.Fatalf("Start(static): %v", err)
	}
	defer in.Stop(context.Background())
	containerOf(t, in) // a container, not a process
	if starts, _ := proc.counts(); starts != 1 {
		t.Errorf("process runtime started %d instances, want still 1", starts)
	}
}

// fallbackRuntime is the process runtime of TestMixedRuntime: it counts
// starts and hands out instances that do nothing.
type fallbackRuntime struct {
	mu     sync.Mutex // guards starts
	starts int
}

func (r *fallbackRuntime) Name() string { return "fallback" }

func (r *fallbackRuntime) Start(context.Context, runtime.Spec) (runtime.Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts++
	return idleInstance{}, nil
}

func (r *fallbackRuntime) counts() (starts, stops int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts, 0
}

// idleInstance is an instance that answers every event with nothing.
type idleInstance struct{}

func (idleInstance) Invoke(context.Context, runtime.Invocation) (runtime.Result, error) {
	return runtime.Result{}, nil
}
func (idleInstance) Addr() string               { return "" }
func (idleInstance) Exited() <-chan struct{}    { return nil }
func (idleInstance) Stop(context.Context) error { return nil }
