package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
)

// console prints what `emulator up` shows a person: a banner, then one line
// per request and per reload. fatih/color turns colour off by itself when the
// output is not a terminal or NO_COLOR is set.
type console struct {
	mu  sync.Mutex // guards writes to out, so lines from concurrent requests never interleave, pulls, pending, flushArmed and tints
	out io.Writer
	// pending holds request lines not yet written: under load, one write
	// per requestFlushEvery instead of a write per request. Any other
	// output writes them first, so lines keep their order.
	pending    []byte
	flushArmed bool                 // a flush of pending is scheduled
	tints      tints                // the request line's colours
	live       bool                 // out is a terminal: pull progress rewrites one line
	pulls      map[string]pullShown // pulls in progress, by image
	// hostNote is the banner's host interpreter version warning (hostversion.go).
	hostNote string
	// debug marks the lines of versions run under a debugger (--debug).
	debug dashDebug
}

var (
	dim     = color.New(color.Faint).SprintFunc()
	bold    = color.New(color.Bold).SprintFunc()
	cyan    = color.New(color.FgCyan).SprintFunc()
	magenta = color.New(color.FgMagenta).SprintFunc()
	green   = color.New(color.FgGreen).SprintFunc()
	yellow  = color.New(color.FgYellow).SprintFunc()
	red     = color.New(color.FgRed).SprintFunc()
)

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	fmt.Fprintf(c.out, format, args...)
}

// requestFlushEvery bounds how long a request line waits to be shown.
const requestFlushEvery = 20 * time.Millisecond

// armFlushLocked schedules the write of pending request lines, within
// requestFlushEvery.
func (c *console) armFlushLocked() {
	if !c.flushArmed {
		c.flushArmed = true
		time.AfterFunc(requestFlushEvery, c.flush)
	}
}

func (c *console) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushArmed = false
	c.flushLocked()
}

func (c *console) flushLocked() {
	if len(c.pending) > 0 {
		_, _ = c.out.Write(c.pending)
		c.pending = c.pending[:0]
	}
}

// Request prints one gateway request.
func (c *console) Request(r gateway.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = c.appendRequestLine(c.pending, r, c.tints.load())
	c.armFlushLocked()
}

// Invoke prints one Invoke call through the cloud API.
func (c *console) Invoke(r invokeRecord) {
	cold := ""
	if r.Cold {
		cold = " " + yellow("cold")
	}
	c.printf("%s %-6s %-24s %s:%s %s %s %s %s%s%s\n", dim(time.Now().Format("15:04:05.000")), "INVOKE", "api",
		r.Function, r.Qualifier, cyan(versionLabel(r.Version)), magenta(r.Route), colourStatus(r.Status), dim(fmtDuration(r.Duration)), cold,
		c.debugMark(r.Function, r.Version))
}

// Reload prints a hot reload of $LATEST.
func (c *console) Reload(function string, r registry.Refresh, took time.Duration, err error) {
	now := dim(time.Now().Format("15:04:05.000"))
	switch {
	case err != nil:
		c.printf("%s %s %s %s\n", now, red("RELOAD"), function, red(err.Error()))
	case r.Changed:
		c.printf("%s %s %s $LATEST %s -> %s %s\n", now, green("RELOAD"), function,
			short(r.Previous.CodeHash), short(r.Latest.CodeHash), dim(fmtDuration(took)))
	}
}

// LayerReload prints one RELOAD line per $LATEST function that runs the
// edited layer now, in the form of Reload with the layer named.
func (c *console) LayerReload(r LayerReport) {
	now := dim(time.Now().Format("15:04:05.000"))
	switch {
	case r.Err != nil:
		c.printf("%s %s layer %s %s\n", now, red("RELOAD"), r.Layer, red(r.Err.Error()))
	case len(r.Functions) == 0:
		c.printf("%s %s layer %s %s\n", now, green("RELOAD"), r.Layer, dim("(no $LATEST lists it) "+fmtDuration(r.Took)))
	}
	for _, fn := range r.Functions {
		c.printf("%s %s %s $LATEST layer %s %s -> %s %s\n", now, green("RELOAD"), fn, r.Layer,
			short(r.Previous), short(r.Latest), dim(fmtDuration(r.Took)))
	}
}

// ConfigReload prints an applied or refused edit of the config file, like
// Reload: +added ~changed(fields) -removed functions, then the services
// whose routes changed.
func (c *console) ConfigReload(r ConfigReport) {
	now := dim(time.Now().Format("15:04:05.000"))
	if r.Err != nil {
		msg := strings.ReplaceAll(r.Err.Error(), "\n", "\n    ")
		c.printf("%s %s %s %s\n    %s\n", now, red("CONFIG"), r.Path, yellow("edit refused; the running configuration stays:"), red(msg))
		return
	}
	if r.Recovered {
		c.printf("%s %s %s %s\n", now, green("CONFIG"), r.Path, dim("valid again; it matches what runs"))
		return
	}
	var parts []string
	for _, f := range r.Changes.Added {
		if p, ok := r.Restored[f.Name]; ok {
			parts = append(parts, green("+"+f.Name)+" "+dim(restoredNote(p)))
			continue
		}
		parts = append(parts, green("+"+f.Name))
	}
	for _, fc := range r.Changes.Changed {
		parts = append(parts, yellow("~"+fc.New.Name)+dim("("+strings.Join(fc.Fields, ",")+")"))
	}
	for _, f := range r.Changes.Removed {
		if p, ok := r.Parked[f.Name]; ok {
			parts = append(parts, yellow("-"+f.Name)+" "+dim(parkedNote(p)))
			continue
		}
		parts = append(parts, red("-"+f.Name))
	}
	for _, l := range r.Changes.LayersAdded {
		parts = append(parts, green("+layer:"+l))
	}
	for _, l := range r.Changes.LayersChanged {
		parts = append(parts, yellow("~layer:"+l))
	}
	for _, l := range r.Changes.LayersRemoved {
		parts = append(parts, red("-layer:"+l))
	}
	if r.Changes.ServicesDiffer() {
		svcs := slices.Concat(r.Changes.ServicesAdded, r.Changes.ServicesChanged, r.Changes.ServicesRemoved)
		parts = append(parts, "routes "+magenta(strings.Join(svcs, ",")))
	}
	c.printf("%s %s %s %s %s\n", now, green("CONFIG"), r.Path, strings.Join(parts, " "), dim(fmtDuration(r.Took)))
	for _, l := range leftOutLines(r) {
		c.printf("    %s\n", yellow(l))
	}
}

// ConfigNotes prints the warnings under a config edit's line.
func (c *console) ConfigNotes(notes []string) {
	for _, n := range notes {
		c.printf("    %s %s\n", yellow("warning"), n)
	}
}

// Rollout prints one line per rollout change (rolloutChanges drops the
// updates a person would not notice).
func (c *console) Rollout(st rollout.Status) {
	label := cyan("ROLLOUT")
	switch st.State {
	case rollout.StatePromoted:
		label = green("ROLLOUT")
	case rollout.StateRolledBack, rollout.StateAborted, rollout.StateFailed:
		label = red("ROLLOUT")
	}
	c.printf("%s %s %s\n", dim(time.Now().Format("15:04:05.000")), label, rolloutLine(st, time.Time{}))
}

// versionLabel shows numbered versions as v2 and $LATEST as itself.
func versionLabel(v string) string {
	if v == "" || strings.HasPrefix(v, "$") {
		return v
	}
	return "v" + v
}

// Defined prints start-up progress: one line per function as it is built and
// snapshotted, so a slow build is visible while it runs.
func (c *console) Defined(function, build string, took time.Duration, err error) {
	what := "snapshot"
	if build != "" {
		what = "build + snapshot"
	}
	if errors.Is(err, config.ErrInvalid) {
		what = "config" // the build and snapshot were fine
	}
	if err != nil {
		c.printf("  %-14s %s %s\n", function, what, red("failed"))
		return
	}
	c.printf("  %-14s %s %s %s\n", function, what, green("ok"), dim(fmtDuration(took)))
}

func colourStatus(s int) string {
	text := fmt.Sprint(s)
	switch {
	case s >= 500:
		return red(text)
	case s >= 400:
		return yellow(text)
	default:
		return green(text)
	}
}

func fmtDuration(d time.Duration) string { return string(appendDuration(nil, d)) }

func short(hash string) string {
	if len(hash) > 8 {
		return hash[:8]
	}
	return hash
}

// banner prints what started and where.
func (c *console) banner(a *App, runtimeName string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  %s %s\n\n", bold("scf emulator"), dim("local SCF grayscale release"))
	if a.file.Path == "" {
		fmt.Fprintf(&b, "  %-10s %s\n", "config", "none "+dim("(no "+defaultConfigFile+" here: an empty emulator)"))
	} else {
		fmt.Fprintf(&b, "  %-10s %s\n", "config", a.file.Path)
	}
	for _, w := range a.file.Warnings {
		fmt.Fprintf(&b, "  %-10s %s\n", yellow("warning"), w)
	}
	fmt.Fprintf(&b, "  %-10s %s\n", "state", a.stateDir)
	fmt.Fprintf(&b, "  %-10s %s\n", "runtime", runtimeName)
	if c.hostNote != "" {
		fmt.Fprintf(&b, "  %-10s %s\n", "", yellow(c.hostNote))
	}
	fmt.Fprintf(&b, "  %-10s %s\n", "gateway", cyan(a.GatewayURL()))
	fmt.Fprintf(&b, "  %-10s %s %s\n", "admin", cyan(a.AdminURL()), dim("(Tencent Cloud API 3.0: POST /)"))
	if u := a.LoginURL(); u != "" {
		fmt.Fprintf(&b, "  %-10s %s %s\n", "dashboard", cyan(u), dim("(open once to log this browser in)"))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  %s\n", bold("functions"))
	if len(a.reg.Functions()) == 0 {
		emptyHelp(&b, a.AdminURL())
	}
	for _, f := range a.reg.Functions() {
		aliases, _ := a.reg.Aliases(f.Name, "")
		var names []string
		for _, al := range aliases {
			names = append(names, al.Name+"->"+describeRouting(al))
		}
		vs, _ := a.reg.Versions(f.Name)
		fmt.Fprintf(&b, "    %-14s %-13s %-5s $LATEST %s  %d published  %s\n", f.Name, f.Config.Runtime, f.Config.Type,
			short(f.Latest.CodeHash), len(vs), dim(strings.Join(names, " ")))
		if note := a.imageNote(f.Name); note != "" {
			fmt.Fprintf(&b, "    %-14s %s\n", "", yellow(note))
		}
	}
	if line := parkedBanner(a.reg.ParkedFunctions()); line != "" {
		fmt.Fprintf(&b, "    %s %s\n", yellow(fmt.Sprintf("%-14s", "parked")), line)
	}
	a.debugBanner(&b)
	fmt.Fprintf(&b, "\n  %s\n", bold("routes"))
	type row struct{ method, url, target string }
	var rows []row
	width := 0
	services := a.gw.Services()
	for _, s := range services {
		base := a.GatewayURL()
		if len(services) > 1 {
			// The gateway tells services apart by Host: the URL carries it
			// (curl and browsers resolve *.localhost to loopback).
			base = serviceURL(base, s.Name)
		}
		stages := make([]string, 0, len(s.Stages))
		for st := range s.Stages {
			stages = append(stages, st)
		}
		sort.Strings(stages)
		for _, api := range s.APIs {
			for _, st := range stages {
				q := s.Stages[st]
				if o, ok := api.Stages[st]; ok {
					q = o
				}
				r := row{api.Method, base + "/" + st + gateway.URLPath(api.Path), api.Function + ":" + q}
				width = max(width, len(r.url))
				rows = append(rows, r)
			}
		}
	}
	if len(rows) == 0 {
		fmt.Fprintf(&b, "    none yet: %s\n", dim("services in the config, or CreateTrigger with an apigw trigger, add them"))
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "    %-7s %-*s %s %s\n", r.method, width, r.url, dim("->"), r.target)
	}
	fmt.Fprintf(&b, "\n  %s\n\n", dim("watching sources for changes; Ctrl-C stops"))
	c.printf("%s", b.String())
}

// serviceURL is the gateway URL gw with the host <service>.localhost, which
// picks that service when there are several.
func serviceURL(gw, service string) string {
	u, err := url.Parse(gw)
	if err != nil {
		return gw
	}
	u.Host = net.JoinHostPort(strings.ToLower(service)+".localhost", u.Port())
	return u.String()
}

// emptyHelp tells a person with no functions yet how to add one.
func emptyHelp(b *strings.Builder, admin string) {
	host := strings.TrimPrefix(admin, "http://")
	fmt.Fprintf(b, "    none yet. Add them through the cloud API (CreateFunction with Code.ZipFile) at %s:\n", cyan(admin))
	fmt.Fprintf(b, "      %-6s profile.HttpProfile.Endpoint = %q, HttpProfile.Scheme = \"http\", any keys\n", "SDK", host)
	fmt.Fprintf(b, "      %-6s tccli scf CreateFunction --endpoint %s --FunctionName hello --Runtime Python3.9 \\\n", "tccli", admin)
	fmt.Fprintf(b, "      %-6s   --Handler index.main_handler --Code '{\"ZipFile\":\"'$(zip -qj - index.py | base64 -w0)'\"}'\n", "")
	fmt.Fprintf(b, "    or stop here and write a project with %s, then %s again.\n", bold("emulator init"), bold("emulator up"))
}

// describeRouting renders an alias's routing compactly: 1 (2:10%, 4 if User=Bob).
func describeRouting(a registry.Alias) string {
	s := a.FunctionVersion
	var extra []string
	for _, w := range a.Weights {
		extra = append(extra, fmt.Sprintf("%s:%g%%", w.Version, w.Weight*100))
	}
	for _, m := range a.Matches {
		extra = append(extra, fmt.Sprintf("%s if %s %s %s", m.Version, strings.TrimPrefix(m.Key, "invoke.headers."), m.Method, m.Expression))
	}
	if len(extra) > 0 {
		s += "(" + strings.Join(extra, ", ") + ")"
	}
	return s
}
