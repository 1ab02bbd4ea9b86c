//go:build unix

package runtime

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"
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
		if _, err := in.Invoke(b.Context(), Invocation{RequestID: "cold", Event: []byte(`{"name":"cold"}`)}); err != nil {
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
		if client := dialGo(ctx, addr); client != nil {
			var resp goInvokeResponse
			err := client.Call("Function.Invoke", &goInvokeRequest{Payload: []byte(`{"name":"run"}`)}, &resp)
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
		rt   func(b *testing.B) Runtime
	}{
		{"process", func(b *testing.B) Runtime {
			p, err := NewProcess(ProcessOptions{WorkDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			return p
		}},
		{"docker", func(b *testing.B) Runtime {
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
				inv := Invocation{RequestID: "warm", Event: []byte(`{"name":"warm"}`)}
				for b.Loop() {
					if _, err := in.Invoke(b.Context(), inv); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
