package runtime

import (
	"log/slog"
	"strings"
	"testing"
)

func TestOutputBounds(t *testing.T) {
	o := newOutput(slog.New(slog.DiscardHandler))
	o.write(streamBoth, []byte("init line\n"))
	if got := o.takeCapture(); got != "init line\n" {
		t.Errorf("start-up capture = %q", got)
	}
	o.write(streamBoth, []byte("between invocations\n"))
	o.startCapture("r1")
	chunk := []byte(strings.Repeat("y", 1000))
	for range 100 { // 100 KB
		o.write(streamBoth, chunk)
	}
	got := o.takeCapture()
	wantNote := "\n... 34464 bytes dropped\n" // 100000 - 65536
	if !strings.HasSuffix(got, wantNote) || len(got) != invocationLogMax+len(wantNote) {
		t.Errorf("capture is %d bytes ending %q, want %d bytes of output plus %q", len(got), got[len(got)-30:], invocationLogMax, wantNote)
	}
	if strings.Contains(got, "between") {
		t.Error("output between invocations was captured")
	}
	if len(o.ring) != outputRingSize {
		t.Errorf("ring holds %d bytes, want %d", len(o.ring), outputRingSize)
	}
	if tail := o.tail(); len(tail) != outputTailSize {
		t.Errorf("tail is %d bytes, want %d", len(tail), outputTailSize)
	}
}

func TestOutputTailStartsAtCharacter(t *testing.T) {
	o := newOutput(slog.New(slog.DiscardHandler))
	o.write(streamBoth, []byte(strings.Repeat("é", outputTailSize))) // 2 bytes each
	if tail := o.tail(); !strings.HasPrefix(tail, "é") || len(tail) != outputTailSize {
		t.Errorf("tail starts %q and is %d bytes", tail[:4], len(tail))
	}
}

func TestOutputDebugLog(t *testing.T) {
	var b strings.Builder
	o := newOutput(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	o.write(streamBoth, []byte("one\ntw"))
	o.write(streamBoth, []byte("o\n"))
	if got := b.String(); !strings.Contains(got, "line=one") || !strings.Contains(got, "line=two") {
		t.Errorf("debug log = %q, want one record per line", got)
	}
}
