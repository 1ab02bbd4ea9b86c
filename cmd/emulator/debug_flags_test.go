package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseDebugFlags(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "latest", in: "B=5678", want: "B $LATEST 5678"},
		{name: "version", in: "B:2=5679", want: "B 2 5679"},
		{name: "alias refused", in: "B:release=5678", err: "debugging targets a version, not an alias"},
		{name: "bad port", in: "B=x", err: "not a number from 1 to 65535"},
		{name: "no port", in: "B", err: "want FUNCTION=PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDebugFlags([]string{tc.in})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
			if s := got[0].Function + " " + got[0].Version + " " + strconv.Itoa(got[0].Port); s != tc.want {
				t.Fatalf("got %s, want %s", s, tc.want)
			}
		})
	}
	if _, err := parseDebugFlags([]string{"B=5678", "C=5678"}); err == nil || !strings.Contains(err.Error(), "already taken") {
		t.Fatalf("a port twice: %v", err)
	}
}

// TestDebugMark: request lines of a debugged version end with "debug",
// other versions' lines do not.
func TestDebugMark(t *testing.T) {
	targets, err := parseDebugFlags([]string{"B:2=5679"})
	if err != nil {
		t.Fatal(err)
	}
	c := &console{debug: dashDebug(targets)}
	tests := []struct {
		function, version string
		marked            bool
	}{{"B", "2", true}, {"B", "$LATEST", false}, {"C", "2", false}, {"", "", false}}
	for _, tc := range tests {
		t.Run(tc.function+" "+tc.version, func(t *testing.T) {
			if got := strings.Contains(c.debugMark(tc.function, tc.version), "debug"); got != tc.marked {
				t.Fatalf("marked %v, want %v", got, tc.marked)
			}
		})
	}
}
