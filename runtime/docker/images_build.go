package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// What BuildImages puts in DebianRuntimeImage.
const (
	debianSuite    = "bookworm"
	debianPackages = "python3-minimal,python3,nodejs,php-cli,bash,curl,ca-certificates"
	// DefaultDebianMirror is where debootstrap fetches packages unless
	// BuildOptions.Mirror says otherwise.
	DefaultDebianMirror = "http://deb.debian.org/debian"
	imagePath           = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// BuildOptions configures Build.
type BuildOptions struct {
	// Force rebuilds images that exist already.
	Force bool
	// Only is "debian" or "static" to build one image; "" builds both.
	Only string
	// Mirror is the Debian mirror; "" means DefaultDebianMirror.
	Mirror string
	// DebianTag is the name the Debian image is imported as; "" means
	// DebianRuntimeImage. Another name builds it without touching the
	// image the emulator runs (to try a change of the build).
	DebianTag string
	// Progress receives one line per step; nil discards.
	Progress func(line string)
}

// Build builds the emulator's own images without any registry:
// StaticRuntimeImage (scratch, CA certificates, /tmp) from a tar stream, and
// DebianRuntimeImage with debootstrap (Debian bookworm minbase with python3,
// nodejs, php-cli, bash, curl and CA certificates, then python3-debugpy
// with apt-get in a chroot; a few minutes), which must run as
// root: through sudo when the emulator does not. Images that exist are kept
// unless opts.Force.
func (im *Images) Build(ctx context.Context, opts BuildOptions) error {
	if opts.Progress == nil {
		opts.Progress = func(string) {}
	}
	switch opts.Only {
	case "", "debian", "static":
	default:
		return fmt.Errorf("build: only %q: want debian or static", opts.Only)
	}
	if opts.Only != "debian" {
		if err := im.buildStatic(ctx, opts); err != nil {
			return err
		}
	}
	if opts.Only != "static" {
		return im.buildDebian(ctx, opts)
	}
	return nil
}

// keep reports whether image exists and is to be kept.
func (im *Images) keep(ctx context.Context, image string, opts BuildOptions) (bool, error) {
	ok, err := im.api.imageExists(ctx, image)
	if err != nil {
		return false, fmt.Errorf("inspect image %s: %w", image, err)
	}
	if ok && !opts.Force {
		opts.Progress(image + " exists (--force rebuilds it)")
	}
	return ok && !opts.Force, nil
}

func (im *Images) buildStatic(ctx context.Context, opts BuildOptions) error {
	if keep, err := im.keep(ctx, StaticRuntimeImage, opts); keep || err != nil {
		return err
	}
	opts.Progress("building " + StaticRuntimeImage + " (scratch + CA certificates + /tmp)")
	rootfs, err := staticRootfs()
	if err != nil {
		return err
	}
	changes := []string{"ENV " + imagePath, "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	if err := im.api.importImage(ctx, StaticRuntimeImage, rootfs, changes); err != nil {
		return fmt.Errorf("import %s: %w", StaticRuntimeImage, err)
	}
	opts.Progress("built " + StaticRuntimeImage)
	return nil
}

// asRoot returns how to run a command as root: nothing, or sudo.
func asRoot() ([]string, error) {
	if os.Geteuid() == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		return nil, errors.New("debootstrap must run as root, and sudo is not installed: run as root")
	}
	return []string{"sudo"}, nil
}

// rootCmd is name args run as root (through prefix).
func rootCmd(ctx context.Context, prefix []string, name string, args ...string) *exec.Cmd {
	all := append(append(prefix[:len(prefix):len(prefix)], name), args...)
	return exec.CommandContext(ctx, all[0], all[1:]...)
}

func (im *Images) buildDebian(ctx context.Context, opts BuildOptions) (err error) {
	tag := cmpOr(opts.DebianTag, DebianRuntimeImage)
	if keep, err := im.keep(ctx, tag, opts); keep || err != nil {
		return err
	}
	debootstrap, lerr := exec.LookPath("debootstrap")
	if lerr != nil {
		if _, serr := os.Stat("/usr/sbin/debootstrap"); serr != nil {
			return errors.New("debootstrap is not installed: apt-get install -y debootstrap (or build only the static image with --only static)")
		}
		debootstrap = "/usr/sbin/debootstrap"
	}
	sudo, err := asRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "scf-runtime-images.")
	if err != nil {
		return err
	}
	root := filepath.Join(work, "rootfs")
	defer func() {
		// debootstrap leaves root-owned files, and after an interruption
		// a mount of /proc. On a context of its own: this runs after Ctrl-C.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = rootCmd(cctx, sudo, "umount", filepath.Join(root, "proc")).Run()
		if rerr := rootCmd(cctx, sudo, "rm", "-rf", work).Run(); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", work, rerr)
		}
	}()

	mirror := cmpOr(opts.Mirror, DefaultDebianMirror)
	started := time.Now()
	opts.Progress(fmt.Sprintf("debootstrap %s (minbase + %s) from %s: about a minute", debianSuite, debianPackages, mirror))
	cmd := rootCmd(ctx, sudo, debootstrap, "--variant=minbase", "--include="+debianPackages, debianSuite, root, mirror)
	fetched := 0
	if err := runReporting(cmd, func(line string) {
		show := keepDebootstrapLine(line)
		if pkg, ok := strings.CutPrefix(line, "I: Retrieving "); ok && !strings.HasPrefix(pkg, "InRelease") && !strings.HasPrefix(pkg, "Packages") {
			// One line per package would be hundreds: count them.
			fetched++
			show, line = fetched%25 == 0, fmt.Sprintf("retrieved %d packages", fetched)
		}
		if show {
			opts.Progress(fmt.Sprintf("    [%3ds] %s", int(time.Since(started).Seconds()), strings.TrimPrefix(line, "I: ")))
		}
	}); err != nil {
		return fmt.Errorf("debootstrap failed (see the lines above); nothing was imported: %w", err)
	}
	for _, bin := range []string{"usr/bin/python3", "usr/bin/node", "usr/bin/php"} {
		if !existsIn(root, bin) {
			return fmt.Errorf("debootstrap left no /%s; nothing was imported", bin)
		}
	}
	if err := installDebugpy(ctx, sudo, root, opts.Progress); err != nil {
		return err
	}
	opts.Progress("trimming apt caches and docs")
	trim := []string{"-rf"}
	for _, g := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*"} {
		matches, _ := filepath.Glob(filepath.Join(root, g))
		trim = append(trim, matches...)
	}
	if err := rootCmd(ctx, sudo, "rm", trim...).Run(); err != nil {
		return fmt.Errorf("trim the root file system: %w", err)
	}

	opts.Progress("importing into docker as " + tag)
	tar := rootCmd(ctx, sudo, "tar", "--numeric-owner", "-C", root, "-c", ".")
	stream, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	var tarErr strings.Builder
	tar.Stderr = &tarErr
	if err := tar.Start(); err != nil {
		return fmt.Errorf("tar: %w", err)
	}
	changes := []string{"ENV " + imagePath, "ENV LANG=C.UTF-8", `CMD ["/bin/bash"]`, "LABEL " + debugpyLabel + "=" + debugpyVersionOf(root)}
	ierr := im.api.importImage(ctx, tag, stream, changes)
	_, _ = io.Copy(io.Discard, stream) // let tar end even when the import failed
	if werr := tar.Wait(); werr != nil {
		return fmt.Errorf("tar of the root file system: %w: %s", werr, strings.TrimSpace(tarErr.String()))
	}
	if ierr != nil {
		return fmt.Errorf("import %s: %w", tag, ierr)
	}
	opts.Progress(fmt.Sprintf("built %s in %s", tag, time.Since(started).Round(time.Second)))
	return nil
}

// keepDebootstrapLine picks the lines of debootstrap worth showing: one per
// phase, and warnings and errors.
func keepDebootstrapLine(line string) bool {
	for _, p := range []string{"I: Retrieving", "I: Checking component", "I: Resolving dependencies of base", "I: Unpacking the base",
		"I: Configuring the base", "I: Base system installed", "E:", "W:"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// runReporting runs cmd, passing each line of its output (stdout and stderr
// together) to line.
func runReporting(cmd *exec.Cmd, line func(string)) error {
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line(sc.Text())
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	err := cmd.Wait()
	w.Close()
	<-done
	return err
}

// existsIn reports whether the file rel exists in the tree at root,
// following its symlinks inside root: /usr/bin/php links to
// /etc/alternatives/php, which os.Stat would look for on the host.
func existsIn(root, rel string) bool {
	p := filepath.Join(root, rel)
	for range 16 {
		fi, err := os.Lstat(p)
		if err != nil {
			return false
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return true
		}
		target, err := os.Readlink(p)
		if err != nil {
			return false
		}
		if filepath.IsAbs(target) {
			p = filepath.Join(root, target)
		} else {
			p = filepath.Join(filepath.Dir(p), target)
		}
	}
	return false
}
