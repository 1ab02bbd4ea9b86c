package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scf-emulator/emulator/logstore"
)

// cmdLogs prints a function's invocation logs in the platform's framing
// (START, the function's output, END, Report), optionally following.
func cmdLogs(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	qualifier := fs.String("q", "", "only this version or alias")
	follow := fs.Bool("f", false, "keep printing new invocations")
	n := fs.Int("n", 20, "how many recent invocations (or requests) to print first")
	requests := fs.Bool("requests", false, "print the gateway requests recorded for the function, as JSON lines emulator replay reads")
	since := fs.Duration("since", 0, "with --requests: only those of this last span, e.g. 10m")
	ns := namespaceFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("logs", pos, 1, 1, "FUNCTION [-q QUALIFIER] [-f] [-n 20] | FUNCTION --requests [--since 10m] [-n N] [-f]"); err != nil {
		return usageError{err}
	}
	if *n < 0 {
		return usageError{fmt.Errorf("-n %d: want 0 or more invocations", *n)}
	}
	fn, err := functionKey(*ns, pos[0])
	if err != nil {
		return err
	}
	if *requests {
		return logRequests(ctx, *endpoint, fn, *qualifier, *since, *n, flagGiven(fs, "n"), *follow, out)
	}
	if *since != 0 {
		return usageError{fmt.Errorf("--since is for --requests")}
	}
	q := url.Values{"function": {fn}, "qualifier": {*qualifier}, "limit": {fmt.Sprint(max(*n, 1))}}
	if *follow {
		q.Set("follow", "1")
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodGet, "/emulator/logs", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		var r logstore.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("bad log record from the emulator: %w", err)
		}
		for _, line := range logstore.Lines(r) {
			fmt.Fprintln(out, colourLogLine(line))
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return err
	}
	return nil
}

func colourLogLine(line string) string {
	switch {
	case strings.Contains(line, " ERROR RequestId:"):
		return red(line)
	case strings.Contains(line, " START RequestId:"), strings.Contains(line, " END RequestId:"),
		strings.Contains(line, " Report RequestId:"), strings.Contains(line, " Init Report RequestId:"):
		return dim(line)
	}
	return line
}

// shadowCell is a version's SHADOW cell: the copies it ran, and those
// dropped because too many were in flight.
func shadowCell(copies, dropped int) string {
	if dropped > 0 {
		return fmt.Sprintf("%d (+%d dropped)\t", copies, dropped)
	}
	return fmt.Sprintf("%d\t", copies)
}

// statsReply mirrors the admin endpoint's answer.
type statsReply struct {
	Function string
	Window   string
	Versions []struct {
		Version             string
		Invocations, Errors int
		ErrorRate, Share    float64
		P50, P99            time.Duration
		ColdStarts          int
		Shadow              int // of Invocations, the shadow copies
		ShadowDropped       int
	}
	Instances []struct {
		Version           string
		Live, Provisioned int
	}
}

// cmdStats prints each version's share of traffic, error rate and latency.
func cmdStats(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	window := fs.Duration("window", time.Minute, "how far back to look")
	all := fs.Bool("all", false, "also list versions without requests in the window")
	ns := namespaceFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("stats", pos, 1, 1, "FUNCTION [--window 1m]"); err != nil {
		return usageError{err}
	}
	if *window <= 0 {
		return usageError{fmt.Errorf("--window %v: want a positive duration such as 5m", *window)}
	}
	fn, err := functionKey(*ns, pos[0])
	if err != nil {
		return err
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	var st statsReply
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/stats", url.Values{"function": {fn}, "window": {window.String()}}, nil, &st); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s, last %s\n", bold(st.Function), st.Window)
	// The SHADOW column appears only when some version got shadow copies:
	// those count in its requests, errors and latency but not in SHARE.
	shadow := false
	for _, v := range st.Versions {
		shadow = shadow || v.Shadow > 0 || v.ShadowDropped > 0
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := "VERSION\tSHARE\tREQUESTS\tERRORS\tERROR RATE\tP50\tP99\tCOLD\t"
	if shadow {
		head += "SHADOW\t"
	}
	fmt.Fprintln(tw, head)
	total, errs, copies := 0, 0, 0
	var idle []string
	for _, v := range st.Versions {
		if v.Invocations == 0 && v.ShadowDropped == 0 && !*all {
			idle = append(idle, v.Version)
			continue
		}
		total += v.Invocations
		errs += v.Errors
		copies += v.Shadow
		fmt.Fprintf(tw, "%s\t%.1f%%\t%d\t%d\t%.2f%%\t%s\t%s\t%d\t", v.Version, v.Share*100, v.Invocations, v.Errors,
			v.ErrorRate*100, fmtDuration(v.P50), fmtDuration(v.P99), v.ColdStarts)
		if shadow {
			fmt.Fprint(tw, shadowCell(v.Shadow, v.ShadowDropped))
		}
		fmt.Fprintln(tw)
	}
	rate := 0.0
	if total > 0 {
		rate = float64(errs) / float64(total) * 100
	}
	fmt.Fprintf(tw, "all\t100%%\t%d\t%d\t%.2f%%\t\t\t\t", total, errs, rate)
	if shadow {
		fmt.Fprintf(tw, "%d\t", copies)
	}
	fmt.Fprintln(tw)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(idle) > 0 {
		fmt.Fprintln(out, dim(fmt.Sprintf("no requests in this window: %s (--all lists them)", strings.Join(idle, ", "))))
	}
	printInstances(out, st)
	return nil
}
