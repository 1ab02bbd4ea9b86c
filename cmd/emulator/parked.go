package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/reconcile"
	"github.com/scf-emulator/emulator/registry"
)

// One rule for a function that leaves emulator.yaml, whether the file is
// saved while `up` runs or edited while it is down: it is parked (see
// registry/park.go), never deleted. Adding it back restores it; `emulator gc
// --parked` or the cloud API's DeleteFunction drops it.

// parkRemoved parks, at start-up, every function the config declared
// before and no longer does: functions in the state that are not in file
// and were not created through the cloud API. Their source folders may be
// gone: a parked function is not watched.
func (a *App) parkRemoved(ctx context.Context, file *config.File) error {
	declared := make(map[string]bool, len(file.Functions))
	for _, f := range file.Functions {
		declared[registry.Key(f.Namespace, f.Name)] = true
	}
	for _, f := range a.reg.Functions() {
		if declared[f.Name] || f.Source == a.reg.ManagedSourceDir(f.Name) {
			continue
		}
		if _, err := a.reg.Park(ctx, f.Name); err != nil {
			return fmt.Errorf("park %s, which %s no longer declares: %w", f.Name, a.configPath(), err)
		}
	}
	return nil
}

// restoreSpec is the registry's definition of config function f at
// start-up. When f comes back from being parked, the kept triggers whose
// route another took meanwhile are left out, as a live edit leaves them
// out (reconcile/restore.go), and the banner warns of each; a trigger the
// file declares on a taken route is the file's error.
func (a *App) restoreSpec(file *config.File, f config.Function) (registry.FunctionSpec, error) {
	spec := a.debugSpec(functionSpec(f))
	left, err := reconcile.LeaveOut(a.reg, a.configPath(), file, f)
	if err != nil {
		return spec, err
	}
	for _, c := range left {
		spec.LeaveOut = append(spec.LeaveOut, c.Trigger.Name)
		file.Warnings = append(file.Warnings, &config.Problem{File: a.configPath(), Line: f.Line, Key: "functions." + f.Name, Msg: c.String()})
	}
	return spec, nil
}

// leftOutLines are the console's lines under a config edit that restored a
// function without some of its triggers: what, why, and how to serve them.
func leftOutLines(r ConfigReport) []string {
	var out []string
	for _, f := range r.Changes.Added {
		for _, c := range r.LeftOut[f.Name] {
			out = append(out, c.String())
		}
	}
	return out
}

// describeKept says what a parked or restored function has: "versions 1-3,
// aliases release, prepub, triggers tick"; "" when it has nothing but
// $LATEST and $DEFAULT.
func describeKept(p registry.Parked) string {
	var parts []string
	if len(p.Versions) > 0 {
		parts = append(parts, "versions "+reconcile.VersionRanges(p.Versions))
	}
	if as := slices.DeleteFunc(slices.Clone(p.Aliases), func(a string) bool { return a == registry.Default }); len(as) > 0 {
		parts = append(parts, "aliases "+strings.Join(as, ", "))
	}
	if len(p.Triggers) > 0 {
		parts = append(parts, "triggers "+strings.Join(p.Triggers, ", "))
	}
	return strings.Join(parts, ", ")
}

// parkedNote is the console's note on a function a live edit parked.
func parkedNote(p registry.Parked) string {
	if kept := describeKept(p); kept != "" {
		return "(parked: " + kept + " kept; add it back to restore)"
	}
	return "(parked; add it back to restore)"
}

// restoredNote is the console's note on a parked function an edit restored.
func restoredNote(p registry.Parked) string {
	if kept := describeKept(p); kept != "" {
		return "(restored: " + kept + ")"
	}
	return "(restored)"
}

// parkedBanner is the banner's one line about parked functions; "" when
// there are none.
func parkedBanner(ps []registry.Parked) string {
	if len(ps) == 0 {
		return ""
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		n := p.Name
		if len(p.Versions) > 0 {
			n += " (v" + reconcile.VersionRanges(p.Versions) + ")"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ") + dim(" not in the config, state kept: add back to restore, `emulator gc --parked` deletes")
}

// sourceGone marks a parked function's source folder that no longer exists.
func sourceGone(dir string) string {
	if _, err := os.Stat(dir); err != nil {
		return dir + " (gone)"
	}
	return dir
}
