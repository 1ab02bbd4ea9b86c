package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/rollout"
)

const rolloutUsage = "FUNCTION --alias NAME --to V [--steps 10,25,50,100 --interval 30s | --schedule NAME] " +
	"[--max-error-rate 0.01] [--max-diff-rate 0.05] [--max-p99 300ms] [--min-requests 50] [--speed 60] " +
	"[--pre-traffic FN[:Q]] [--post-traffic FN[:Q]] [--detach]  |  FUNCTION --alias NAME --status|--abort"

// cmdRollout starts a rollout on the emulator and follows it, or shows or
// aborts the alias' rollout. It exits 0 only when the rollout promoted.
func cmdRollout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	alias := fs.String("alias", "", "the alias whose traffic moves")
	to := fs.String("to", "", "the version to roll out")
	steps := fs.String("steps", "", "percentages of traffic on the new version, ending at 100")
	interval := fs.Duration("interval", 0, "time between steps, with --steps")
	schedule := fs.String("schedule", "", "a CodeDeploy schedule, e.g. Canary10Percent5Minutes")
	maxErr := fs.Float64("max-error-rate", 0, "roll back when the new version's error rate is above this fraction")
	maxDiff := fs.Float64("max-diff-rate", 0, "roll back when more than this share of requests compared with the old version differ (emulator diff)")
	maxP99 := fs.Duration("max-p99", 0, "roll back when the new version's p99 latency is above this")
	minReq := fs.Int("min-requests", 0, "a check with fewer requests to the new version is inconclusive")
	speed := fs.Float64("speed", 1, "divide every wait by this (60: minutes become seconds)")
	pre := fs.String("pre-traffic", "", "hook function FN[:QUALIFIER] run before traffic moves")
	post := fs.String("post-traffic", "", "hook function FN[:QUALIFIER] run with all traffic on the new version, before promotion")
	detach := fs.Bool("detach", false, "return once the rollout has started")
	status := fs.Bool("status", false, "show the alias' rollout")
	abort := fs.Bool("abort", false, "abort the alias' rollout and restore its routing")
	ns := namespaceFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("rollout", pos, 1, 1, rolloutUsage); err != nil {
		return usageError{err}
	}
	if *alias == "" {
		return usageError{errors.New("rollout: --alias is required")}
	}
	fn, err := functionKey(*ns, pos[0])
	if err != nil {
		return err
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	switch {
	case *status && *abort:
		return usageError{errors.New("rollout: --status and --abort exclude each other")}
	case *status:
		return rolloutStatus(ctx, c, fn, *alias, stdout)
	case *abort:
		var st rollout.Status
		err := c.doJSON(ctx, http.MethodPost, "/emulator/rollouts/abort", nil,
			admin.AbortRequest{Function: fn, Alias: *alias, Reason: "aborted from the CLI"}, &st)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, rolloutLine(st, time.Now()))
		return nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := checkRolloutFlags(*to, *maxErr, *speed, *interval, *maxP99, *minReq); err != nil {
		return err
	}
	p := rollout.Plan{Function: fn, Alias: *alias, To: *to, Schedule: *schedule, Interval: rollout.Duration(*interval), Speed: *speed,
		Gates: rollout.Gates{MaxP99: rollout.Duration(*maxP99), MinRequests: *minReq}}
	if set["max-error-rate"] {
		p.Gates.MaxErrorRate = maxErr
	}
	if set["max-diff-rate"] {
		if !(*maxDiff >= 0 && *maxDiff <= 1) {
			return usageError{fmt.Errorf("--max-diff-rate %v: want a fraction from 0 to 1, e.g. 0.05", *maxDiff)}
		}
		p.Gates.MaxDiffRate = maxDiff
	}
	if *steps != "" {
		if p.Steps, err = rollout.ParseSteps(*steps); err != nil {
			return usageError{fmt.Errorf("--steps: %w", err)}
		}
	}
	if p.PreTraffic, err = parseHook("pre-traffic", *pre); err != nil {
		return err
	}
	if p.PostTraffic, err = parseHook("post-traffic", *post); err != nil {
		return err
	}
	var st rollout.Status
	if err := c.doJSON(ctx, http.MethodPost, "/emulator/rollouts", nil, p, &st); err != nil {
		if e := (*emuError)(nil); errors.As(err, &e) && e.Status == http.StatusBadRequest {
			return usageError{err}
		}
		return err
	}
	fmt.Fprintf(stdout, "started %s: %s -> %s, %s, %s per step at speed %g (%s real)\n", st.ID, versionLabel(st.From), versionLabel(st.To),
		stepsText(st.Steps), time.Duration(st.Interval), st.Speed, time.Duration(float64(st.Interval)/st.Speed).Round(time.Millisecond))
	if *detach {
		fmt.Fprintf(stdout, "follow it with: emulator rollout %s --alias %s --status\n", fn, *alias)
		return nil
	}
	return followRollout(ctx, c, st, stdout, stderr)
}

// checkRolloutFlags refuses values a rollout cannot run with, naming the
// flag, before anything is sent.
func checkRolloutFlags(to string, maxErr, speed float64, interval, maxP99 time.Duration, minReq int) error {
	for _, c := range []struct {
		bad       bool
		flag, msg string
	}{
		{to == "", "--to", "is required: the version to roll out (or --status / --abort)"},
		{!(maxErr >= 0 && maxErr <= 1), "--max-error-rate", fmt.Sprintf("%v: want a fraction from 0 to 1, e.g. 0.01", maxErr)},
		{!(speed > 0) || math.IsInf(speed, 1), "--speed", fmt.Sprintf("%v: want a positive number (60: minutes become seconds)", speed)},
		{interval < 0, "--interval", fmt.Sprintf("%v: want a positive duration such as 30s", interval)},
		{maxP99 < 0, "--max-p99", fmt.Sprintf("%v: want a positive duration such as 300ms", maxP99)},
		{minReq < 0, "--min-requests", fmt.Sprintf("%d: want 0 or more", minReq)},
	} {
		if c.bad {
			return usageError{fmt.Errorf("%s %s", c.flag, c.msg)}
		}
	}
	return nil
}

func parseHook(flagName, v string) (*rollout.Hook, error) {
	if v == "" {
		return nil, nil
	}
	fn, q, _ := strings.Cut(v, ":")
	if fn == "" {
		return nil, usageError{fmt.Errorf("--%s %q: want FUNCTION or FUNCTION:QUALIFIER", flagName, v)}
	}
	return &rollout.Hook{Function: fn, Qualifier: q}, nil
}

func rolloutStatus(ctx context.Context, c *emuClient, fn, alias string, out io.Writer) error {
	var list []rollout.Status
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/rollouts", url.Values{"function": {fn}, "alias": {alias}}, nil, &list); err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("no rollout of alias %s of function %s", alias, fn)
	}
	st := list[0] // newest first
	fmt.Fprintln(out, rolloutLine(st, time.Now()))
	fmt.Fprintf(out, "  id %s, %s, %s per step at speed %g, started %s\n", st.ID, stepsText(st.Steps), time.Duration(st.Interval),
		st.Speed, st.StartedAt.Local().Format(time.DateTime))
	return nil
}

// followRollout prints the rollout's progress from the watch stream until it
// ends. On a terminal the line updates in place with a bar and a countdown.
func followRollout(ctx context.Context, c *emuClient, st rollout.Status, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	resp, err := c.do(ctx, http.MethodGet, "/emulator/rollouts/watch", url.Values{"function": {st.Function}, "alias": {st.Alias}, "id": {st.ID}}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	updates := make(chan rollout.Status)
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var s rollout.Status
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				done <- fmt.Errorf("bad status from the emulator: %w", err)
				return
			}
			select {
			case updates <- s:
			case <-ctx.Done():
				return
			}
		}
		done <- sc.Err()
	}()
	tty := isTerminal(stdout)
	var tick <-chan time.Time
	if tty {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	last := ""
	show := func() {
		if tty {
			fmt.Fprintf(stdout, "\r\033[K%s", rolloutBar(st, time.Now()))
			return
		}
		if line := rolloutLine(st, time.Time{}); line != last {
			fmt.Fprintf(stdout, "%s %s\n", time.Now().Format("15:04:05"), line)
			last = line
		}
	}
	for {
		select {
		case st = <-updates:
			show()
			if st.State.Terminal() {
				if tty {
					fmt.Fprintln(stdout)
				}
				return rolloutOutcome(st, stdout)
			}
		case <-tick:
			show()
		case err := <-done:
			if tty {
				fmt.Fprintln(stdout)
			}
			if err == nil {
				err = errors.New("the stream ended")
			}
			return fmt.Errorf("lost the emulator before rollout %s ended (last: %s): %w", st.ID, st.State, err)
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stderr, "stopped watching; rollout %s goes on in the emulator (emulator rollout %s --alias %s --status, or --abort)\n",
				st.ID, st.Function, st.Alias)
			return errors.New("stopped watching before the rollout ended")
		}
	}
}

func rolloutOutcome(st rollout.Status, out io.Writer) error {
	if st.State == rollout.StatePromoted {
		fmt.Fprintf(out, "%s %s\n", green("promoted:"), st.Reason)
		return nil
	}
	return fmt.Errorf("rollout %s %s: %s", st.ID, st.State, st.Reason)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// rolloutLine renders a rollout in one line; a non-zero now adds the
// countdown to the next check.
func rolloutLine(st rollout.Status, now time.Time) string {
	head := fmt.Sprintf("%s/%s %s -> %s", st.Function, st.Alias, versionLabel(st.From), versionLabel(st.To))
	if st.State.Terminal() {
		word := red(string(st.State))
		if st.State == rollout.StatePromoted {
			word = green(string(st.State))
		}
		return fmt.Sprintf("%s %s: %s", head, word, st.Reason)
	}
	if st.State == rollout.StateHeld {
		return heldLine(head, st)
	}
	switch st.Phase {
	case rollout.PhasePreTraffic:
		return fmt.Sprintf("%s %s running pre-traffic hook %s", head, cyan("running"), st.PreTraffic)
	case rollout.PhasePostTraffic:
		return fmt.Sprintf("%s %s 100%% on the new version; running post-traffic hook %s", head, cyan("running"), st.PostTraffic)
	case rollout.PhaseRollback:
		return fmt.Sprintf("%s %s rolling back: %s", head, yellow("running"), st.Reason)
	}
	if st.Weight == 0 && st.LastCheck.Verdict == "" {
		return fmt.Sprintf("%s %s starting", head, cyan("running"))
	}
	s := fmt.Sprintf("%s %s %s %3.0f%%", head, cyan("running"), stepOf(st), st.Weight*100)
	if c := st.LastCheck; c.Verdict != "" {
		verdict := green(c.Verdict)
		if c.Verdict != rollout.VerdictPass {
			verdict = yellow(c.Verdict)
		}
		s += fmt.Sprintf(" · check %s: %d req, %.1f%% err, p99 %s", verdict, c.Requests, c.ErrorRate*100, fmtDuration(time.Duration(c.P99)))
	}
	if !now.IsZero() && !st.NextStepAt.IsZero() {
		s += dim(fmt.Sprintf(" · next check in %s", max(st.NextStepAt.Sub(now), 0).Round(time.Second)))
	}
	return s
}

// heldLine is a held rollout: where it stands and why it waits.
func heldLine(head string, st rollout.Status) string {
	at := fmt.Sprintf("%s %3.0f%%", stepOf(st), st.Weight*100)
	switch st.Phase {
	case rollout.PhasePreTraffic:
		at = "before the pre-traffic hook"
	case rollout.PhasePostTraffic:
		at = "100% on the new version, before the post-traffic hook"
	case rollout.PhaseRollback:
		at = "rollback pending"
	}
	why := "held"
	if st.Hold != nil {
		why = st.Hold.Reason
		if !st.Hold.Since.IsZero() {
			why += dim(" · since " + st.Hold.Since.Local().Format(time.DateTime))
		}
	}
	return fmt.Sprintf("%s %s %s · %s", head, yellow("held"), at, why)
}

// stepOf names the step that has the traffic now: by weight, since the step
// counter moves on before the next weight is written.
func stepOf(st rollout.Status) string {
	for i, w := range st.Steps {
		if w == st.Weight {
			return fmt.Sprintf("step %d/%d", i+1, len(st.Steps))
		}
	}
	return fmt.Sprintf("step -/%d", len(st.Steps))
}

// rolloutBar is the terminal form: a bar of the new version's share, then
// the line.
func rolloutBar(st rollout.Status, now time.Time) string {
	const width = 20
	n := min(max(int(st.Weight*width+0.5), 0), width)
	return "[" + green(strings.Repeat("█", n)) + dim(strings.Repeat("░", width-n)) + "] " + rolloutLine(st, now)
}

func stepsText(steps []float64) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%g%%", s*100)
	}
	return "steps " + strings.Join(parts, ",")
}
