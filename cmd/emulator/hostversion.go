package main

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// hostVersionNote is the banner's one warning line when the process
// runtime runs functions on host interpreters of another version than
// their runtime names (Python3.6 on the host's python 3.11); "" when all
// match or nothing runs on the process runtime. onProcess tells the
// functions that run there: all of them on the process runtime, those
// whose image could not be had under --runtime auto with Docker. Docker
// runs the exact version, so only those are checked.
func hostVersionNote(ctx context.Context, fns []registry.Function, onProcess func(registry.Function) bool) string {
	host := map[string]string{} // interpreter -> its version, "" when missing
	var diffs []string
	seen := map[string]bool{}
	for _, f := range fns {
		if !onProcess(f) {
			continue
		}
		interp, want := platform.LanguageVersion(f.Config.Runtime)
		if interp == "" || seen[f.Config.Runtime] {
			continue
		}
		seen[f.Config.Runtime] = true
		v, ok := host[interp]
		if !ok {
			v = interpreterVersion(ctx, interp)
			host[interp] = v
		}
		if v != "" && !platform.SameVersion(want, v) {
			diffs = append(diffs, fmt.Sprintf("%s on the host's %s %s", f.Config.Runtime, interp, v))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	slices.Sort(diffs)
	return "versions differ: " + strings.Join(diffs, ", ") + " (Docker runs the exact versions, in their images)"
}

// interpreterVersion asks python3, node or php for its version: "3.11.2",
// "18.19.0", "8.2.7"; "" when it cannot be run.
func interpreterVersion(ctx context.Context, interp string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, interp, "--version").CombinedOutput()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	s = strings.TrimPrefix(s, "Python ")
	s = strings.TrimPrefix(s, "PHP ") // then "8.2.7 (cli) (built: ...)" and more lines
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0]
	}
	return strings.TrimPrefix(s, "v")
}
