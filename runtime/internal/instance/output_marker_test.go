package instance

import (
	"log/slog"
	"strings"
	"testing"
)

// chunkWrite is one write of a test: stream and text, where "<o>" and
// "<e>" stand for the markers of request r1, "<old>" for one of r0.
type chunkWrite struct {
	s    Stream
	text string
}

func TestOutputMarkers(t *testing.T) {
	tests := []struct {
		name       string
		writes     []chunkWrite
		wantLog    string
		wantMarked bool
	}{
		{"one pipe, both markers", []chunkWrite{{StreamBoth, "a\nb\n<o>late err\n<e>after\n"}}, "a\nb\nlate err\n", true},
		{"marker mid-line", []chunkWrite{{StreamBoth, "no newline<o><e>"}}, "no newline", true},
		{"one marker is not the end", []chunkWrite{{StreamBoth, "a\n<o>b\n"}}, "a\nb\n", false},
		{"an earlier invocation's marker is removed and ignored", []chunkWrite{{StreamBoth, "a<old>b\n"}}, "ab\n", false},
		{"container streams end apart", []chunkWrite{
			{StreamStdout, "out\n<o>next out\n"},
			{StreamStderr, "err\n"},
			{StreamStderr, "<e>next err\n"},
		}, "out\nerr\n", true},
		{"container lines are not cut by the other Stream", []chunkWrite{
			{StreamStdout, "out "},
			{StreamStderr, "err\n"},
			{StreamStdout, "line\n<o>"},
			{StreamStderr, "<e>"},
		}, "err\nout line\n", true},
		{"a partial last line ends at its marker", []chunkWrite{{StreamStdout, "partial<o>"}, {StreamStderr, "<e>"}}, "partial", true},
		{"look-alike bytes are output", []chunkWrite{{StreamBoth, "\x1escf-end:x\n\x1e\x1e\n"}}, "\x1escf-end:x\n\x1e\x1e\n", false},
		{"a prefix with no line end is output", []chunkWrite{{StreamBoth, "<prefix>" + strings.Repeat("z", markIDMax+10) + "\n"}}, "<prefix>" + strings.Repeat("z", markIDMax+10) + "\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOutput(slog.New(slog.DiscardHandler))
			o.takeCapture()
			o.startCapture("r1")
			prefix := string(o.marks.prefix)
			expand := func(s string) string {
				return strings.NewReplacer("<o>", prefix+"or1\n", "<e>", prefix+"er1\n", "<old>", prefix+"or0\n", "<prefix>", prefix).Replace(s)
			}
			for _, w := range tc.writes {
				o.Write(w.s, []byte(expand(w.text)))
			}
			marked := o.marks.marked == nil
			if got, want := o.takeCapture(), expand(tc.wantLog); got != want {
				t.Errorf("log = %q, want %q", got, want)
			}
			if marked != tc.wantMarked {
				t.Errorf("both markers seen = %v, want %v", marked, tc.wantMarked)
			}
		})
	}
}

// TestOutputMarkerSplit feeds a marker cut at every byte: the reader gets
// the pipe's bytes in pieces of any size.
func TestOutputMarkerSplit(t *testing.T) {
	o := NewOutput(slog.New(slog.DiscardHandler))
	text := "before\n" + string(o.Marker('o', "r1")) + "x" + string(o.Marker('e', "r1")) + "after\n"
	for cut := 1; cut < len(text); cut++ {
		o.takeCapture()
		o.startCapture("r1")
		o.Write(StreamBoth, []byte(text[:cut]))
		o.Write(StreamBoth, []byte(text[cut:]))
		if got := o.takeCapture(); got != "before\nx" {
			t.Fatalf("cut at %d: log = %q, want %q", cut, got, "before\nx")
		}
		if o.marks.marked != nil {
			t.Fatalf("cut at %d: markers not seen", cut)
		}
		if tail := o.Tail(); strings.Contains(tail, markLead) {
			t.Fatalf("cut at %d: a marker reached the tail %q", cut, tail)
		}
	}
}

func TestMarkID(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", " a\r\nb ": "a  b", "": ""} {
		if got := markID(in); got != want {
			t.Errorf("markID(%q) = %q, want %q", in, got, want)
		}
	}
}
