package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/gateway"
)

// fmtRequestLine is the request line as it was printed with fmt, before
// appendRequestLine: the two must give the same bytes.
func fmtRequestLine(c *console, r gateway.Record) string {
	target := dim("-")
	if r.Function != "" {
		target = fmt.Sprintf("%s:%s %s %s", r.Function, r.Qualifier, cyan(versionLabel(r.Version)), magenta(r.Route))
	}
	status := colourStatus(r.Status)
	if r.SCFStatus != 0 && r.SCFStatus != 200 && r.SCFStatus != r.Status {
		status += " " + red(fmt.Sprintf("scf %d", r.SCFStatus))
	}
	return fmt.Sprintf("%s %-6s %-24s %s %s %s%s\n", dim(r.Time.Format("15:04:05.000")), r.Method, "/"+r.Stage+r.Path,
		target, status, dim(fmtDurationRef(r.Duration)), c.debugMark(r.Function, r.Version))
}

// fmtDurationRef is the console's duration as it was written with fmt.
func fmtDurationRef(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

func TestRequestLineMatchesFmt(t *testing.T) {
	defer func(was bool) { color.NoColor = was }(color.NoColor)
	at := time.Date(2026, 12, 3, 15, 4, 5, 678_000_000, time.UTC)
	records := []gateway.Record{
		{Time: at, Method: "GET", Stage: "release", Path: "/hello", Function: "hello", Qualifier: "release",
			Version: "2", Route: "weight", Status: 200, Duration: 1234 * time.Microsecond},
		{Time: at, Method: "OPTIONS", Stage: "dev", Path: "/", Function: "hello", Qualifier: "$DEFAULT",
			Version: "$LATEST", Route: "primary", Status: 502, SCFStatus: 433, Duration: 3 * time.Second},
		{Time: at, Method: "POST", Stage: "prepub", Path: "/héllo/wörld", Status: 404, Duration: 15600 * time.Microsecond},
		{Time: at, Method: "GET", Stage: "release", Path: "/a-path-longer-than-twenty-four-runes", Function: "f",
			Qualifier: "release", Status: 200, SCFStatus: 200},
		{Time: at, Method: "PUT", Stage: "release", Path: "/web", Function: "web", Qualifier: "release",
			Version: "7", Route: "header", Status: 429, SCFStatus: 432, Duration: 9999 * time.Microsecond},
		{Time: at, Method: "GET", Stage: "release", Path: "/dbg", Function: "dbg", Qualifier: "release",
			Version: "1", Route: "primary", Status: 200},
		{},
	}
	c := &console{debug: dashDebug{{Function: "dbg", Version: "1", Port: 9229}}}
	for _, noColor := range []bool{true, false} {
		color.NoColor = noColor
		for i, r := range records {
			t.Run(fmt.Sprintf("colour=%v/%d", !noColor, i), func(t *testing.T) {
				want := fmtRequestLine(c, r)
				if got := string(c.appendRequestLine(nil, r, c.tints.load())); got != want {
					t.Errorf("line\n got %q\nwant %q", got, want)
				}
			})
		}
	}
}

func BenchmarkRequestLine(b *testing.B) {
	r := gateway.Record{Time: time.Now(), Method: "GET", Stage: "release", Path: "/hello", Function: "hello",
		Qualifier: "release", Version: "2", Route: "weight", Status: 200, Duration: 1234 * time.Microsecond}
	c := &console{}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = c.appendRequestLine(buf[:0], r, c.tints.load())
	}
}
