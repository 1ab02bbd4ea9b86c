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
	"github.com/scf-emulator/emulator/registry"
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
// ones) with their versions, aliases, triggers and capacity settings. It
// works on the folder itself, so the emulator using it must be stopped;
// while it runs, the cloud API's DeleteFunction drops one parked function.
func gcParked(ctx context.Context, out io.Writer, dir string, names []string, dry bool) error {
	if _, err := os.Stat(filepath.Join(dir, "state.json")); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(out, "no emulator state in %s: nothing is parked\n", dir)
		return nil
	}
	reg, err := registry.Open(registry.Options{Dir: dir})
	if errors.Is(err, registry.ErrStateLocked) {
		return fmt.Errorf("gc --parked: %s is in use by a running emulator: stop it first, or delete a parked function through its cloud API (DeleteFunction)", dir)
	}
	if err != nil {
		return fmt.Errorf("gc --parked: %w", err)
	}
	defer reg.Close()
	parked := reg.ParkedFunctions()
	chosen, err := chooseParked(parked, names, dir)
	if err != nil {
		return usageError{err}
	}
	if len(chosen) == 0 {
		fmt.Fprintf(out, "nothing is parked in %s\n", dir)
		return nil
	}
	renderParked(out, chosen, time.Now())
	if dry {
		fmt.Fprintf(out, "dry run: would delete %d parked function(s) with their versions, aliases, triggers and capacity settings\n", len(chosen))
		return nil
	}
	capa, err := capacity.Open(ctx, dir, nopCapacity{}, nil, nil)
	if err != nil {
		return fmt.Errorf("gc --parked: capacity settings: %w", err)
	}
	reg.Subscribe(capa.OnChange) // drops the deleted functions' settings
	var done []string
	for _, p := range chosen {
		if err := reg.Delete(ctx, p.Name); err != nil {
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
