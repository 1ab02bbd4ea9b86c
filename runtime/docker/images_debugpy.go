package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// debugpyLabel marks an image that has Debian's python3-debugpy; its value
// is the installed debugpy version. CanDebug reads it to know, without
// starting a container, that a Python function can run under debugpy.
const debugpyLabel = "scf-emulator.debugpy"

// installDebugpy installs python3-debugpy into the debootstrapped root with
// apt-get in a chroot. Listed for debootstrap itself it fails: its gdb
// dependency's libsource-highlight4v5 does not configure under minbase's
// two-stage install, while apt-get in the finished system configures it.
// The chroot needs /proc (gdb's and python's postinst scripts read it) and
// the host's resolver to reach the mirror; both are undone before the
// import. The apt lists it fetches are removed by the trim that follows.
func installDebugpy(ctx context.Context, sudo []string, root string, progress func(string)) (err error) {
	started := time.Now()
	progress("apt-get install python3-debugpy in the new system (chroot)")
	resolv := filepath.Join(root, "etc", "resolv.conf")
	if _, serr := os.Lstat(resolv); serr != nil {
		if cerr := rootCmd(ctx, sudo, "cp", "/etc/resolv.conf", resolv).Run(); cerr != nil {
			return fmt.Errorf("copy /etc/resolv.conf into the chroot: %w", cerr)
		}
		defer func() {
			if rerr := rootCmd(context.WithoutCancel(ctx), sudo, "rm", "-f", resolv).Run(); rerr != nil && err == nil {
				err = fmt.Errorf("remove the chroot's resolv.conf: %w", rerr)
			}
		}()
	}
	proc := filepath.Join(root, "proc")
	if out, merr := rootCmd(ctx, sudo, "mount", "-t", "proc", "proc", proc).CombinedOutput(); merr != nil {
		return fmt.Errorf("mount /proc in the chroot: %w: %s", merr, strings.TrimSpace(string(out)))
	}
	defer func() {
		// On a context of its own: a Ctrl-C must not leave /proc mounted
		// (the build's cleanup tries again before it removes the tree).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if uerr := rootCmd(cctx, sudo, "umount", proc).Run(); uerr != nil && err == nil {
			err = fmt.Errorf("unmount the chroot's /proc: %w", uerr)
		}
	}()
	for _, args := range [][]string{
		{"apt-get", "update", "-q"},
		{"apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-debugpy"},
		{"apt-get", "clean"},
		{"python3", "-c", "import debugpy"},
	} {
		all := append([]string{root, "env", "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8"}, args...)
		var tail []string
		cmd := rootCmd(ctx, sudo, "chroot", all...)
		if rerr := runReporting(cmd, func(line string) {
			tail = append(tail, line)
			if len(tail) > 10 {
				tail = tail[1:]
			}
			// apt-get wants a pty for its log, which a chroot without /dev/pts
			// lacks: harmless, so not shown.
			if (strings.HasPrefix(line, "E:") && !strings.Contains(line, "/dev/pts")) || strings.HasPrefix(line, "W:") {
				progress("    " + line)
			}
		}); rerr != nil {
			return fmt.Errorf("chroot %s: %w (nothing was imported); its last lines:\n%s", strings.Join(args, " "), rerr, strings.Join(tail, "\n"))
		}
	}
	progress(fmt.Sprintf("    [%3ds] python3-debugpy %s installed", int(time.Since(started).Seconds()), debugpyVersionOf(root)))
	return nil
}

// debugpyVersionOf reads the installed debugpy's version from its dpkg
// record, "yes" when it cannot be read.
func debugpyVersionOf(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "var", "lib", "dpkg", "status"))
	if err != nil {
		return "yes"
	}
	for _, stanza := range strings.Split(string(data), "\n\n") {
		if !strings.Contains(stanza, "Package: python3-debugpy\n") {
			continue
		}
		for _, line := range strings.Split(stanza, "\n") {
			if v, ok := strings.CutPrefix(line, "Version: "); ok {
				return v
			}
		}
	}
	return "yes"
}
