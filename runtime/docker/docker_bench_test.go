//go:build unix

package docker

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/runtime/process"
)

// BenchmarkDockerColdStart compares a cold start of the docker runtime
// (Start of a never-started version plus its first invocation) with the
// least any container runner does for the same function: `docker run -d`
// of the same image and code (create and start through the API), polling
// Function.Ping on the published port, and one Function.Invoke. The two
// alternate, so that load on the machine hits both alike; the metrics are
// the mean times of each and their ratio (the goal is at most 1.3).
func BenchmarkDockerColdStart(b *testing.B) {
	d := newDockerTestRuntime(b, nil)
	dir := buildDockerFn(b)
	// Warm the image cache and the page cache of the binary.
	dockerStart(b, d, dockerSpec(dir, "Go1", "event"))
	var emu, run time.Duration
	n := 0
	for b.Loop() {
		spec := dockerSpec(dir, "Go1", "event")
		spec.CodeHash = "cold" + strconv.Itoa(n) // a version never started
		start := time.Now()
		in, err := d.Start(b.Context(), spec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Invoke(b.Context(), runtime.Invocation{RequestID: "cold", Event: []byte(`{"name":"cold"}`)}); err != nil {
			b.Fatal(err)
		}
		emu += time.Since(start)
		if err := in.Stop(b.Context()); err != nil {
			b.Fatal(err)
		}
		run += dockerRunBaseline(b, d, dir)
		n++
	}
	b.ReportMetric(float64(emu.Milliseconds())/float64(n), "emulator-ms")
	b.ReportMetric(float64(run.Milliseconds())/float64(n), "docker-run-ms")
	b.ReportMetric(float64(emu)/float64(run), "ratio")
}

// dockerRunBaseline runs dockerfn as `docker run -d -p 127.0.0.1::9000 -v
// code:/var/user:ro IMAGE /var/user/main` would, and returns the time to its
// first answer. The container is removed afterwards, outside the time.
func dockerRunBaseline(b *testing.B, d *Docker, dir string) time.Duration {
	ctx := b.Context()
	start := time.Now()
	id, err := d.api.create(ctx, &containerConfig{
		name:    "scf-bench-run-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		image:   StaticRuntimeImage,
		cmd:     []string{"/var/user/main"},
		env:     []string{"_LAMBDA_SERVER_PORT=9000"},
		workDir: "/var/user",
		labels:  d.scope,
		mounts:  []bindMount{{source: dir, target: "/var/user", readOnly: true}},
		network: d.network,
		publish: containerPort,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := d.api.remove(context.WithoutCancel(ctx), id); err != nil {
			b.Error(err)
		}
	}()
	if err := d.api.start(ctx, id); err != nil {
		b.Fatal(err)
	}
	info, err := d.api.inspect(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", info.hostPort)
	backoff := 2 * time.Millisecond
	for {
		if client := instance.DialGo(ctx, addr); client != nil {
			var resp struct{ Payload []byte } // the fields of the Go1 response this needs
			err := client.Call("Function.Invoke", &struct{ Payload []byte }{Payload: []byte(`{"name":"run"}`)}, &resp)
			client.Close()
			if err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// BenchmarkWarmInvoke measures one invocation of a warm instance of the
// same static binary (testdata/dockerfn) in a process and in a container,
// over net/rpc (Go1) and over the runtime API (CustomRuntime).
func BenchmarkWarmInvoke(b *testing.B) {
	dir := buildDockerFn(b)
	runtimes := []struct {
		name string
		rt   func(b *testing.B) runtime.Runtime
	}{
		{"process", func(b *testing.B) runtime.Runtime {
			p, err := process.NewProcess(process.ProcessOptions{WorkDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			return p
		}},
		{"docker", func(b *testing.B) runtime.Runtime {
			return newDockerTestRuntime(b, map[string]string{"customruntime": StaticRuntimeImage})
		}},
	}
	for _, r := range runtimes {
		for _, fn := range []string{"Go1", "CustomRuntime"} {
			b.Run(r.name+"/"+fn, func(b *testing.B) {
				rt := r.rt(b)
				spec := dockerSpec(dir, fn, "event")
				spec.Env["DOCKERFN_HOST"] = "127.0.0.1"
				if rt.Name() == "docker" {
					delete(spec.Env, "DOCKERFN_HOST") // reached through the published port
				}
				in, err := rt.Start(b.Context(), spec)
				if err != nil {
					b.Fatal(err)
				}
				defer in.Stop(context.WithoutCancel(b.Context()))
				inv := runtime.Invocation{RequestID: "warm", Event: []byte(`{"name":"warm"}`)}
				for b.Loop() {
					if _, err := in.Invoke(b.Context(), inv); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDockerShutdown measures what Ctrl-C costs with many containers:
// Manager.Close then Docker.Close, with n warm instances (one per code hash,
// as after many saves and versions) of a Go1 binary or of Python (which
// needs DebianRuntimeImage). The metric is the time both Closes take until
// every container is removed.
func BenchmarkDockerShutdown(b *testing.B) {
	kinds := []struct {
		name string
		spec func(b *testing.B) runtime.Spec
	}{
		{"go1", func(b *testing.B) runtime.Spec { return dockerSpec(buildDockerFn(b), "Go1", "event") }},
		{"python", func(b *testing.B) runtime.Spec {
			spec := dockerSpec(testutil.Testdata(b, "python"), "Python3.9", "event")
			spec.Handler = "index.main_handler"
			return spec
		}},
	}
	for _, k := range kinds {
		for _, n := range []int{8, 40} {
			b.Run(k.name+"/containers="+strconv.Itoa(n), func(b *testing.B) {
				base := k.spec(b)
				var total time.Duration
				runs := 0
				for b.Loop() {
					total += shutdownOnce(b, base, n)
					runs++
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(runs), "shutdown-ms")
			})
		}
	}
}

// shutdownOnce starts n instances of base, each under its own code hash,
// and returns how long closing the Manager and the runtime takes.
func shutdownOnce(b *testing.B, base runtime.Spec, n int) time.Duration {
	d := newDockerTestRuntime(b, nil)
	if base.Runtime != "Go1" {
		ctx, cancel := context.WithTimeout(b.Context(), dockerTestTimeout)
		ok, err := d.api.imageExists(ctx, DebianRuntimeImage)
		cancel()
		if err != nil || !ok {
			b.Skipf("%s is missing (%v): build it with `go run ./cmd/emulator images --build` (or scripts/build-runtime-images.sh)", DebianRuntimeImage, err)
		}
	}
	m := runtime.NewManager(d, runtime.Options{})
	errs := make(chan error, n)
	sem := make(chan struct{}, 4) // 4 starts at a time: the daemon is the bottleneck
	for i := range n {
		spec := base
		spec.CodeHash = "shut" + strconv.Itoa(i)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- m.Prewarm(b.Context(), spec)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := m.Close(ctx); err != nil {
		b.Error(err)
	}
	if err := d.Close(ctx); err != nil {
		b.Error(err)
	}
	took := time.Since(start)
	if left, err := d.api.list(ctx, d.scope); err != nil || len(left) != 0 {
		b.Errorf("after Close: %d containers left (%v)", len(left), err)
	}
	return took
}
