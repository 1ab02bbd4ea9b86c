package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/runtime/docker"
)

// cmdGC is `emulator gc [--dry-run] [--all]`: it lists what docker runtimes
// left on the engine, with owner, age and state, and removes the abandoned
// ones (everything managed with --all). With --parked it deletes the
// functions parked in the state folder instead (gcParked).
func cmdGC(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "only list; remove nothing")
	all := fs.Bool("all", false, "remove everything the emulator manages, live emulators' and other hosts' included")
	parked := fs.Bool("parked", false, "delete functions parked in the state folder (removed from the config, versions kept) instead; names limit it to those")
	cfgPath := fs.String("f", defaultConfigFile, "with --parked: the config file whose state folder (.emulator beside it) is cleaned")
	stateDir := fs.String("state-dir", "", "with --parked: the state folder (default .emulator beside the config file)")
	endpoint := fs.String("endpoint", "", "with --parked, while an emulator runs on the state folder: its admin address (default $EMULATOR_ENDPOINT or http://127.0.0.1:9001)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if *parked {
		if *all {
			return usageError{fmt.Errorf("gc: --parked and --all do not go together: --all is about docker leftovers")}
		}
		return gcParked(ctx, stdout, parkedStateDir(*cfgPath, *stateDir), pos, *dry, *endpoint)
	}
	if *endpoint != "" {
		return usageError{fmt.Errorf("gc: --endpoint goes with --parked: docker leftovers are found on the engine, not through an emulator")}
	}
	if err := needArgs("gc", pos, 0, 0, "[--dry-run] [--all] | --parked [--dry-run] [--endpoint URL] [FUNCTION...]"); err != nil {
		return usageError{err}
	}
	j, err := docker.NewJanitor(ctx, docker.JanitorOptions{})
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	defer j.Close()
	items, err := j.List(ctx)
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	remove := docker.Abandoned(items)
	if *all {
		remove = items
	}
	renderLeftovers(stdout, items, *all, time.Now())
	if len(remove) == 0 {
		fmt.Fprintln(stdout, "nothing to remove")
		return nil
	}
	if *dry {
		fmt.Fprintf(stdout, "dry run: would remove %s\n", countKinds(remove))
		return nil
	}
	done, err := j.Remove(ctx, remove)
	fmt.Fprintf(stdout, "removed %s\n", formatRemoved(done))
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	return nil
}

// renderLeftovers prints one line per managed object: what it is, whose,
// how old, its state and what gc does with it.
func renderLeftovers(w io.Writer, items []docker.Leftover, all bool, now time.Time) {
	if len(items) == 0 {
		fmt.Fprintln(w, "no containers, volumes or network of the emulator on this engine")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tHOST\tSTATE DIR\tAGE\tSTATE\tACTION")
	for _, l := range items {
		action := "keep"
		if all || l.Status.Abandoned() {
			action = color.New(color.FgYellow).Sprint("remove")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Kind, l.Name, orDash(l.Owner.Host.Name),
			orDash(l.Owner.StateDir), age(l.Created, now), l.Status, action)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is how long ago t was, in the largest whole unit; "-" when unknown.
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// kindOrder is the order in which counts are printed.
var kindOrder = []string{docker.KindContainer, docker.KindVolume, docker.KindEmulator, docker.KindNetwork}

func countKinds(items []docker.Leftover) string {
	n := docker.Removed{}
	for _, l := range items {
		n[l.Kind]++
	}
	return formatRemoved(n)
}

// formatRemoved says "2 container(s), 1 volume(s), 1 network(s)".
func formatRemoved(n docker.Removed) string {
	var parts []string
	for _, k := range kindOrder {
		if n[k] > 0 {
			noun := k
			if k == docker.KindEmulator {
				noun = "presence volume"
			}
			parts = append(parts, fmt.Sprintf("%d %s(s)", n[k], noun))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
