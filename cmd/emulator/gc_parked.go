package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scf-emulator/emulator/capacity"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/runtime"
)

// parkedStateDir is the state folder `gc --parked` cleans: --state-dir, or
// .emulator beside the config file, as `up` picks it.
func parkedStateDir(cfgPath, stateDir string) string {
	if stateDir == "" {
		stateDir = filepath.Join(configDir(cfgPath), ".emulator")
	}
	if abs, err := filepath.Abs(stateDir); err == nil {
		return abs // errors name the folder wherever the command ran
	}
	return stateDir
}

// gcParked is `emulator gc --parked [--dry-run] [FUNCTION...]`: it lists
// the functions parked in the state folder and deletes them (or the named
// ones) with their versions, aliases, triggers, capacity settings and held
// rollouts. With the emulator stopped it works on the folder itself; while
// an emulator runs on it (it holds the folder's lock), it asks that one,
// found at endpoint, to do it (gcParkedLive): the output is the same.
func gcParked(ctx context.Context, out io.Writer, dir string, names []string, dry bool, endpoint string) error {
	if _, err := os.Stat(filepath.Join(dir, "state.json")); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(out, "no emulator state in %s: nothing is parked\n", dir)
		return nil
	}
	reg, err := registry.Open(registry.Options{Dir: dir})
	if errors.Is(err, registry.ErrStateLocked) {
		return gcParkedLive(ctx, out, dir, names, dry, endpoint)
	}
	if err != nil {
		return fmt.Errorf("gc --parked: %w", err)
	}
	defer reg.Close()
	chosen, err := planGCParked(out, reg.ParkedFunctions(), names, dir, dry)
	if err != nil || len(chosen) == 0 {
		return err
	}
	capa, err := capacity.Open(ctx, dir, nopCapacity{}, nil, nil)
	if err != nil {
		return fmt.Errorf("gc --parked: capacity settings: %w", err)
	}
	reg.Subscribe(capa.OnChange) // drops the deleted functions' settings
	return deleteParked(out, chosen, func(name string) error {
		if err := reg.DeleteParked(ctx, name); err != nil {
			return err
		}
		// No emulator runs to hear of the deletion: its held rollouts
		// end here, with the reason, rather than at the next start.
		_, err := rollout.EndStopped(dir, name, " while parked, by `emulator gc --parked` with the emulator stopped", time.Now())
		if err != nil {
			return fmt.Errorf("deleted, but its rollouts were not ended: %w", err)
		}
		// Nor does anyone drop its invocation logs, as a live one would.
		if err := logstore.RemoveFiles(filepath.Join(dir, logsDir), registry.NamespaceOf(name), name); err != nil {
			return fmt.Errorf("deleted, but its logs were not: %w", err)
		}
		return nil
	})
}

// planGCParked prints what gc --parked would delete and returns it; nil
// when there is nothing, or on a dry run. A name that is not parked is a
// usage error.
func planGCParked(out io.Writer, parked []registry.Parked, names []string, dir string, dry bool) ([]registry.Parked, error) {
	chosen, err := chooseParked(parked, names, dir)
	if err != nil {
		return nil, usageError{err}
	}
	if len(chosen) == 0 {
		fmt.Fprintf(out, "nothing is parked in %s\n", dir)
		return nil, nil
	}
	renderParked(out, chosen, time.Now())
	if dry {
		fmt.Fprintf(out, "dry run: would delete %d parked function(s) with their versions, aliases, triggers and capacity settings\n", len(chosen))
		return nil, nil
	}
	return chosen, nil
}

// deleteParked deletes the chosen functions one by one with del, and says
// how many went, also when one fails.
func deleteParked(out io.Writer, chosen []registry.Parked, del func(name string) error) error {
	var done []string
	for _, p := range chosen {
		if err := del(p.Name); err != nil {
			fmt.Fprintf(out, "deleted %d parked function(s)\n", len(done))
			return fmt.Errorf("gc --parked: %s: %w", p.Name, err)
		}
		done = append(done, p.Name)
	}
	fmt.Fprintf(out, "deleted %d parked function(s): %s\n", len(done), strings.Join(done, ", "))
	return nil
}

// chooseParked returns the parked functions named, or all with no names.
// A name that is not parked is an error that lists what is.
func chooseParked(parked []registry.Parked, names []string, dir string) ([]registry.Parked, error) {
	if len(names) == 0 {
		return parked, nil
	}
	var out []registry.Parked
	for _, n := range names {
		i := slices.IndexFunc(parked, func(p registry.Parked) bool { return p.Name == n })
		if i < 0 {
			have := make([]string, 0, len(parked))
			for _, p := range parked {
				have = append(have, p.Name)
			}
			return nil, fmt.Errorf("gc --parked: %s is not parked in %s (parked: %s)", n, dir, orDash(strings.Join(have, ", ")))
		}
		out = append(out, parked[i])
	}
	return out, nil
}

// renderParked prints one line per parked function: what is kept and since when.
func renderParked(w io.Writer, ps []registry.Parked, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tKEPT\tPARKED\tSOURCE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s ago\t%s\n", p.Name, orDash(describeKept(p)), age(p.ParkedAt, now), sourceGone(p.Source))
	}
	tw.Flush()
}

// nopCapacity is a capacity.Runner with nothing running: gc only edits the
// stored settings.
type nopCapacity struct{}

func (nopCapacity) Provision(context.Context, runtime.Spec, int) error { return nil }
func (nopCapacity) SetReserved(string, string, int)                    {}
