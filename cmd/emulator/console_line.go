package main

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/gateway"
)

// The request line is the console's one per-request cost, paid by every
// request under load: it is appended into the pending buffer directly,
// without fmt or a string per coloured field (it was 8% of the gateway's
// CPU time per request with fmt).

// tint is one colour as the escapes around a coloured text.
type tint struct{ pre, post string }

// tints are the request line's colours, read off fatih/color's own output
// so both print the same bytes, and read again when colour is turned on or
// off (color.NoColor).
type tints struct {
	read                                   bool
	noColor                                bool // the color.NoColor they were read for
	dim, cyan, magenta, green, yellow, red tint
}

func (t *tints) load() *tints {
	if t.read && t.noColor == color.NoColor {
		return t
	}
	of := func(f func(...any) string) tint {
		pre, post, _ := strings.Cut(f("\x00"), "\x00")
		return tint{pre, post}
	}
	*t = tints{read: true, noColor: color.NoColor,
		dim: of(dim), cyan: of(cyan), magenta: of(magenta), green: of(green), yellow: of(yellow), red: of(red)}
	return t
}

func (t tint) append(b []byte, s string) []byte {
	b = append(b, t.pre...)
	b = append(b, s...)
	return append(b, t.post...)
}

// appendPadded appends s, then spaces up to width runes, as fmt's %-Ns.
func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for n := utf8.RuneCountInString(s); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendRequestLine appends the console line of r:
//
//	15:04:05.000 GET    /release/hello           hello:release v2 weight 200 1.2ms
func (c *console) appendRequestLine(b []byte, r gateway.Record, t *tints) []byte {
	b = append(b, t.dim.pre...)
	b = r.Time.AppendFormat(b, "15:04:05.000")
	b = append(b, t.dim.post...)
	b = append(b, ' ')
	b = appendPadded(b, r.Method, 6)
	b = append(b, ' ')
	start := len(b)
	b = append(b, '/')
	b = append(b, r.Stage...)
	b = append(b, r.Path...)
	for n := utf8.RuneCount(b[start:]); n < 24; n++ {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	if r.Function == "" {
		b = t.dim.append(b, "-")
	} else {
		b = append(b, r.Function...)
		b = append(b, ':')
		b = append(b, r.Qualifier...)
		b = append(b, ' ')
		b = append(b, t.cyan.pre...)
		if r.Version != "" && !strings.HasPrefix(r.Version, "$") {
			b = append(b, 'v')
		}
		b = append(b, r.Version...)
		b = append(b, t.cyan.post...)
		b = append(b, ' ')
		b = t.magenta.append(b, r.Route)
	}
	b = append(b, ' ')
	st := t.green
	switch {
	case r.Status >= 500:
		st = t.red
	case r.Status >= 400:
		st = t.yellow
	}
	b = append(b, st.pre...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, st.post...)
	if r.SCFStatus != 0 && r.SCFStatus != 200 && r.SCFStatus != r.Status {
		b = append(b, ' ')
		b = append(b, t.red.pre...)
		b = append(b, "scf "...)
		b = strconv.AppendInt(b, int64(r.SCFStatus), 10)
		b = append(b, t.red.post...)
	}
	b = append(b, ' ')
	b = append(b, t.dim.pre...)
	b = appendDuration(b, r.Duration)
	b = append(b, t.dim.post...)
	if r.Function != "" && c.debug.DebugPort(r.Function, r.Version) != 0 {
		b = append(b, ' ')
		b = t.yellow.append(b, "debug")
	}
	return append(b, '\n')
}

// appendDuration appends d as the console shows durations: tenths of a
// millisecond under 10 ms, else rounded to the millisecond.
func appendDuration(b []byte, d time.Duration) []byte {
	if d < 10*time.Millisecond {
		b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64)
		return append(b, "ms"...)
	}
	return append(b, d.Round(time.Millisecond).String()...)
}
