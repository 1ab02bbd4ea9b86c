package instance

import (
	"log/slog"
	"strings"
	"testing"
)

func TestOutputBounds(t *testing.T) {
	o := NewOutput(slog.New(slog.DiscardHandler))
	o.Write(StreamBoth, []byte("init line\n"))
	if got := o.takeCapture(); got != "init line\n" {
		t.Errorf("start-up capture = %q", got)
	}
	o.Write(StreamBoth, []byte("between invocations\n"))
	o.startCapture("r1")
	chunk := []byte(strings.Repeat("y", 1000))
	for range 100 { // 100 KB
		o.Write(StreamBoth, chunk)
	}
	got := o.takeCapture()
	wantNote := "\n... 34464 bytes dropped\n" // 100000 - 65536
	if !strings.HasSuffix(got, wantNote) || len(got) != InvocationLogMax+len(wantNote) {
		t.Errorf("capture is %d bytes ending %q, want %d bytes of output plus %q", len(got), got[len(got)-30:], InvocationLogMax, wantNote)
	}
	if strings.Contains(got, "between") {
		t.Error("output between invocations was captured")
	}
	if len(o.ring) != outputRingSize {
		t.Errorf("ring holds %d bytes, want %d", len(o.ring), outputRingSize)
	}
	if tail := o.Tail(); len(tail) != outputTailSize {
		t.Errorf("tail is %d bytes, want %d", len(tail), outputTailSize)
	}
}

func TestOutputTailStartsAtCharacter(t *testing.T) {
	o := NewOutput(slog.New(slog.DiscardHandler))
	o.Write(StreamBoth, []byte(strings.Repeat("é", outputTailSize))) // 2 bytes each
	if tail := o.Tail(); !strings.HasPrefix(tail, "é") || len(tail) != outputTailSize {
		t.Errorf("tail starts %q and is %d bytes", tail[:4], len(tail))
	}
}

func TestOutputDebugLog(t *testing.T) {
	var b strings.Builder
	o := NewOutput(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	o.Write(StreamBoth, []byte("one\ntw"))
	o.Write(StreamBoth, []byte("o\n"))
	if got := b.String(); !strings.Contains(got, "line=one") || !strings.Contains(got, "line=two") {
		t.Errorf("debug log = %q, want one record per line", got)
	}
}

// TestOutputTailIsTheInvocations: the tail an error quotes (a process that
// exits during an invocation: 439, 434) is the output since that invocation
// began, never an earlier invocation's, whose caller may not be this one.
func TestOutputTailIsTheInvocations(t *testing.T) {
	o := NewOutput(slog.New(slog.DiscardHandler))
	o.Write(StreamBoth, []byte("start-up line\n"))
	if tail := o.Tail(); tail != "start-up line" {
		t.Errorf("tail during start-up = %q, want the start-up output", tail)
	}
	o.takeCapture()
	o.startCapture("r1")
	o.Write(StreamBoth, []byte("secret of r1\n"))
	o.takeCapture()
	o.Write(StreamBoth, []byte("between\n"))
	o.startCapture("r2")
	o.Write(StreamBoth, []byte("r2 exits\n"))
	if tail := o.Tail(); tail != "r2 exits" {
		t.Errorf("tail during r2 = %q, want only r2's output", tail)
	}
	o.takeCapture()
	if tail := o.Tail(); tail != "r2 exits" {
		t.Errorf("tail after r2's capture ended = %q, want r2's output still", tail)
	}
	o.startCapture("r3")
	if tail := o.Tail(); tail != "" {
		t.Errorf("tail of r3, which wrote nothing = %q, want none", tail)
	}
}
