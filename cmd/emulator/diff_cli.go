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
	"os"
	"strings"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/reqlog"
)

// cmdDiff prints the differences between an alias's primary and its shadow
// version in diff mode, and fails (exit 1) above --max-diff-rate.
func cmdDiff(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	alias := fs.String("alias", "", "only requests of this alias (default: any)")
	since := fs.Duration("since", 0, "only requests compared in this last span, e.g. 10m (default: all kept)")
	maxRate := fs.Float64("max-diff-rate", -1, "exit 1 when more than this share of the compared requests differ beyond noise, e.g. 0.01")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("diff", pos, 1, 1, "FUNCTION [--alias NAME] [--since 10m] [--max-diff-rate 0.01]"); err != nil {
		return usageError{err}
	}
	if *since < 0 || *maxRate > 1 || (*maxRate < 0 && *maxRate != -1) {
		return usageError{fmt.Errorf("--since must be positive and --max-diff-rate a fraction from 0 to 1")}
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	q := url.Values{"function": {pos[0]}}
	if *alias != "" {
		q.Set("alias", *alias)
	}
	if *since > 0 {
		q.Set("since", since.String())
	}
	var rep diff.Report
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/diff", q, nil, &rep); err != nil {
		return err
	}
	printDiffReport(out, rep)
	return overRate(rep, *maxRate)
}

// overRate is the exit-1 error of a report above the max diff rate.
func overRate(rep diff.Report, maxRate float64) error {
	if maxRate >= 0 && rep.DiffRate > maxRate {
		return fmt.Errorf("version %s of %s: %d of %d compared requests (%.1f%%) differ beyond noise, above --max-diff-rate %g",
			rep.Candidate, rep.Function, rep.Differing, rep.Compared, rep.DiffRate*100, maxRate)
	}
	return nil
}

// printDiffReport prints a report grouped by endpoint and path: count, share
// and one example per group; noise groups come after, dimmed.
func printDiffReport(out io.Writer, rep diff.Report) {
	if rep.Compared == 0 {
		fmt.Fprintf(out, "%s: no compared requests yet; turn diff mode on with: emulator alias update %s ALIAS --version V --shadow V2=1 --diff\n",
			bold(rep.Function), rep.Function)
		return
	}
	fmt.Fprintf(out, "%s version %s vs %s: %d requests compared, %d differ (%.1f%%), %d noise samples\n",
		bold(rep.Function), rep.Candidate, rep.Primary, rep.Compared, rep.Differing, rep.DiffRate*100, rep.NoiseSamples)
	for _, ep := range rep.Endpoints {
		fmt.Fprintf(out, "\n%s  %d compared, %d differ\n", bold(ep.Endpoint), ep.Compared, ep.Differing)
		for _, g := range ep.Groups {
			fmt.Fprintf(out, "  %s  %s  %d requests (%.1f%%)\n", red(g.Path), strings.Join(g.Kinds, ","), g.Count, g.Share*100)
			printExample(out, g.Example)
		}
		for _, g := range ep.Noise {
			fmt.Fprintln(out, dim(fmt.Sprintf("  noise %s  %d requests (%.1f%%): differs between two runs of version %s", g.Path, g.Count, g.Share*100, rep.Primary)))
		}
	}
}

func printExample(out io.Writer, ex *diff.Example) {
	if ex == nil {
		return
	}
	fmt.Fprintf(out, "    e.g. %s %s\n", ex.Request.Method, ex.Request.Path)
	fmt.Fprintf(out, "      primary   %d %s\n", ex.Primary.Status, clip(ex.Primary.Body))
	fmt.Fprintf(out, "      candidate %d %s\n", ex.Candidate.Status, clip(ex.Candidate.Body))
}

// clip shortens a body to one line for the terminal.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}

// maxReplayLine bounds one recorded request in a replay file.
const maxReplayLine = 8 << 20

// cmdReplay sends recorded requests (JSON lines of method, path, headers,
// body) to a stage on two versions and prints the diff.
func cmdReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	stage := fs.String("stage", "", "the stage whose routes the requests take (default: the one they were recorded on, or release)")
	service := fs.String("service", "", "the gateway service (default: the only one, or the request's Host)")
	to := fs.String("to-version", "", "the new version (default: the alias's shadow version)")
	compare := fs.String("compare-version", "", "the version to compare with (default: the alias's primary version)")
	maxRate := fs.Float64("max-diff-rate", -1, "exit 1 when more than this share of the requests differ beyond noise")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("replay", pos, 1, 1, "FILE --stage release [--to-version 2 --compare-version 1]"); err != nil {
		return usageError{err}
	}
	reqs, cut, err := readRecorded(pos[0])
	if err != nil {
		return err
	}
	if cut > 0 {
		fmt.Fprintf(out, "skipped %d requests whose body was cut at %d KB when recorded\n", cut, reqlog.BodyBytes>>10)
	}
	if *stage == "" {
		if *stage, err = recordedStage(reqs); err != nil {
			return usageError{err}
		}
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	body := admin.ReplayRequest{Stage: *stage, Service: *service, ToVersion: *to, CompareVersion: *compare, Requests: reqs}
	var reps []diff.Report
	if err := c.doJSON(ctx, http.MethodPost, "/emulator/diff/replay", nil, body, &reps); err != nil {
		return err
	}
	var errs []error
	for i, rep := range reps {
		if i > 0 {
			fmt.Fprintln(out)
		}
		printDiffReport(out, rep)
		errs = append(errs, overRate(rep, *maxRate))
	}
	return errors.Join(errs...)
}

// readRecorded reads a replay file: one JSON request a line, blank lines
// and lines starting with # skipped, and so are requests whose body the
// recorder cut (counted in cut): sending part of a body is no replay.
func readRecorded(path string) (reqs []diff.Request, cut int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxReplayLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r reqlog.Line
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Method == "" || r.Path == "" {
			return nil, 0, usageError{fmt.Errorf("%s:%d: want a JSON object with method, path, headers and body: %v", path, n, err)}
		}
		if r.Truncated {
			cut++
			continue
		}
		reqs = append(reqs, r.Request)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(reqs) == 0 {
		return nil, cut, usageError{fmt.Errorf("%s: no recorded requests", path)}
	}
	if len(reqs) > admin.MaxReplayRequests {
		return nil, cut, usageError{fmt.Errorf("%s: %d requests, more than %d in one replay", path, len(reqs), admin.MaxReplayRequests)}
	}
	return reqs, cut, nil
}

// recordedStage is the stage recorded requests came in on, release for
// lines that do not say; requests from several stages need --stage.
func recordedStage(reqs []diff.Request) (string, error) {
	stage := ""
	for _, r := range reqs {
		switch {
		case r.Stage == "" || r.Stage == stage:
		case stage == "":
			stage = r.Stage
		default:
			return "", fmt.Errorf("the requests came in on stages %s and %s: give --stage", stage, r.Stage)
		}
	}
	if stage == "" {
		stage = "release"
	}
	return stage, nil
}
