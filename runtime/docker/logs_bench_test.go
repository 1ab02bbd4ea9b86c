//go:build unix

package docker

import (
	"context"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/runtime/process"
)

// BenchmarkWarmInvokeLogged measures one invocation of a warm instance that
// prints a line to stdout and one to stderr right before it returns, so the
// time includes waiting for that output to be captured: Python (the embedded
// bootstrap) and CustomRuntime (testdata/dockerfn) on both runtimes. The
// docker cases need DebianRuntimeImage for Python.
func BenchmarkWarmInvokeLogged(b *testing.B) {
	dockerfn := buildDockerFn(b)
	cases := []struct {
		rt, fn string
		spec   func() runtime.Spec
	}{
		{"process", "Python", func() runtime.Spec {
			return testutil.Spec(testutil.Testdata(b, "logs"), "Python3.9", "index.main_handler")
		}},
		{"process", "CustomRuntime", func() runtime.Spec { return dockerSpec(dockerfn, "CustomRuntime", "event") }},
		{"docker", "Python", func() runtime.Spec {
			return testutil.Spec(testutil.Testdata(b, "logs"), "Python3.9", "index.main_handler")
		}},
		{"docker", "CustomRuntime", func() runtime.Spec { return dockerSpec(dockerfn, "CustomRuntime", "event") }},
	}
	for _, c := range cases {
		b.Run(c.rt+"/"+c.fn, func(b *testing.B) {
			rt := logTestRuntime(b, c.rt)
			in, err := rt.Start(b.Context(), c.spec())
			if err != nil {
				b.Fatal(err)
			}
			defer in.Stop(context.WithoutCancel(b.Context()))
			inv := runtime.Invocation{RequestID: "warm", Event: []byte(`{"name":"warm","tag":"warm"}`)}
			for b.Loop() {
				if _, err := in.Invoke(b.Context(), inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// logTestRuntime returns the process runtime, or a docker runtime whose
// Python, Node.js and CustomRuntime functions run in images present here:
// DebianRuntimeImage for the interpreters (the test skips without it) and
// StaticRuntimeImage for testdata/dockerfn.
func logTestRuntime(tb testing.TB, name string) runtime.Runtime {
	tb.Helper()
	if name == "process" {
		p, err := process.NewProcess(process.ProcessOptions{WorkDir: tb.TempDir()})
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	d := newDockerTestRuntime(tb, map[string]string{
		"python": DebianRuntimeImage, "nodejs": DebianRuntimeImage, "customruntime": StaticRuntimeImage,
	})
	if ok, err := d.api.imageExists(tb.Context(), DebianRuntimeImage); err != nil || !ok {
		tb.Skipf("%s is missing (%v): run scripts/build-runtime-images.sh", DebianRuntimeImage, err)
	}
	return d
}
