//go:build unix

package process

import (
	"context"
	"log/slog"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// benchInvoke measures warm invocations of one started instance.
func benchInvoke(b *testing.B, spec runtime.Spec) {
	p, err := NewProcess(ProcessOptions{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	in, err := p.Start(b.Context(), spec)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Stop(context.WithoutCancel(b.Context()))
	inv := runtime.Invocation{RequestID: "bench", Event: []byte(`{"name":"bench"}`)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := in.Invoke(b.Context(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessInvokePython(b *testing.B) {
	benchInvoke(b, testutil.Spec(testutil.Testdata(b, "python"), "Python3.9", "src/app.handler"))
}

func BenchmarkProcessInvokeNode(b *testing.B) {
	benchInvoke(b, testutil.Spec(testutil.Testdata(b, "node"), "Nodejs16.13", "index.main_handler"))
}

func BenchmarkProcessInvokeCustomRuntime(b *testing.B) {
	benchInvoke(b, testutil.Spec(testutil.Testdata(b, "custom"), "CustomRuntime", ""))
}

func BenchmarkOutputWrite(b *testing.B) {
	o := instance.NewOutput(slog.New(slog.DiscardHandler))
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		o.Write(instance.StreamBoth, chunk)
	}
}
