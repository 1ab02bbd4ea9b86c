package docker

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/runtime"
)

// Where the binary waiter cannot run in the engine's containers (the
// emulator is a Mach-O or PE binary, or of another architecture, or the
// engine runs in a VM whose containers no FIFO of this machine reaches:
// Docker Desktop), a spare waits in its image's shell instead: `/bin/sh -s`
// reads commands from stdin, which the runtime holds through the attach
// connection (the container is created with OpenStdin and StdinOnce). The
// taker writes the order as one brace group, which the shell parses whole
// before it runs any of it, and half-closes stdin: the group cds, sets the
// environment and execs the command. When the connection goes without an
// order (the spare is dropped, or the emulator dies, even by SIGKILL: the
// kernel closes its sockets and the daemon the container's stdin) the shell
// reads EOF and exits, and so does the container. Unlike a FIFO, stdin
// reaches an engine in a VM.
//
// Images without /bin/sh (StaticRuntimeImage, FROM-scratch ones) get no
// spare then: the first failure to start a shell in an image is remembered.

// errNoShell marks an image a shell spare cannot wait in.
var errNoShell = errors.New("no /bin/sh in the image")

// shellRefuses says why a shell spare cannot run spec in image, nil when
// it can: an image known to have no shell, or an environment variable whose
// name a shell cannot set.
func (d *Docker) shellRefuses(image string, spec runtime.Spec) error {
	if image == StaticRuntimeImage {
		return fmt.Errorf("%s: %w", image, errNoShell)
	}
	d.spares.mu.Lock()
	no := d.spares.noShell[image]
	d.spares.mu.Unlock()
	if no {
		return fmt.Errorf("%s: %w", image, errNoShell)
	}
	for k := range spec.Env {
		if !validEnvName(k) {
			return fmt.Errorf("environment variable %q: a shell cannot set it", k)
		}
	}
	return nil
}

// shellFailed remembers image as one without a shell when err, the failure
// to start a shell spare in it, says so; the daemon words it
// `exec: "/bin/sh": stat /bin/sh: no such file or directory`.
func (d *Docker) shellFailed(image string, err error) {
	if !strings.Contains(err.Error(), shellWaiter.cmd[0]) {
		return
	}
	d.spares.mu.Lock()
	d.spares.noShell[image] = true
	d.spares.mu.Unlock()
	d.logger.Debug("no spare containers for an image without a shell", "image", image, "err", err)
}

// shellSpareFits reports whether a Start of spec in image may take a
// spare, as far as the shell waiter can tell: true until the waiter is
// known, and for the binary waiter.
func (d *Docker) shellSpareFits(image string, spec runtime.Spec) bool {
	s := &d.spares
	s.mu.Lock()
	shell := s.waiterKnown && s.waiter.shell
	s.mu.Unlock()
	return !shell || d.shellRefuses(image, spec) == nil
}

// orderScript is o as a script for the spare's shell. Every value is
// single-quoted, so that no environment value, folder or argument is ever
// expanded or split; names are checked, since a shell cannot set others.
func orderScript(o spareOrder) (string, error) {
	if len(o.Cmd) == 0 {
		return "", errors.New("empty command")
	}
	var b strings.Builder
	b.WriteString("{\n")
	// First, so that an exported PWD is the order's, as the binary waiter's.
	b.WriteString("cd " + shellQuote(o.Dir) + " || exit 127\n")
	for _, k := range o.Unset {
		if !validEnvName(k) {
			return "", fmt.Errorf("environment variable %q: a shell cannot unset it", k)
		}
		b.WriteString("unset " + k + "\n")
	}
	setsOldPWD := false
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		if !validEnvName(k) {
			return "", fmt.Errorf("environment variable %q: a shell cannot set it", k)
		}
		setsOldPWD = setsOldPWD || k == "OLDPWD"
		b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	if !setsOldPWD {
		b.WriteString("unset OLDPWD\n") // cd's, not the order's
	}
	b.WriteString("exec")
	for _, a := range o.Cmd {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n}\n")
	s := b.String()
	if strings.ContainsRune(s, 0) {
		return "", errors.New("the order holds a NUL byte")
	}
	return s, nil
}

// shellQuote quotes s for a POSIX shell: inside single quotes nothing is
// special but the single quote, which closes, is escaped, and reopens.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// validEnvName reports whether a shell can set k: a letter or underscore,
// then letters, digits and underscores.
func validEnvName(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	return !strings.ContainsFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// sendStdin writes b to c's stdin and closes it, when c was attached with
// stdin.
func (c *container) sendStdin(b []byte, timeout time.Duration) error {
	c.mu.Lock()
	st := c.stream
	c.mu.Unlock()
	if st == nil {
		return errors.New("not attached")
	}
	return st.sendStdin(b, timeout)
}
