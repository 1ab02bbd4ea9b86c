package docker

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// The spare waiter is what a spare container runs until it is taken: the
// binary that embeds this package (the emulator, or a test binary) run with
// spareWaitArg. It needs nothing of the image, not even a shell, so spares
// work in FROM-scratch images. It opens the spare's FIFO, whose write end
// the runtime holds from then on, and blocks reading it: the taker writes a
// spareOrder (the code is in /var/user by then) and the waiter execs its
// command, which becomes the container's process. When the write end
// closes without an order (the spare was dropped, or the emulator died,
// even by SIGKILL: the kernel closes its files) the waiter exits, and so
// does the container: no spare outlives the emulator's process.
const (
	// spareWaitArg, as the first argument, makes a binary of this package
	// the spare waiter (see init).
	spareWaitArg = "__scf-emulator-spare-wait"
	// containerWaiterDir holds the waiter binary (and, when it is
	// dynamically linked, the host's loader and libraries), read-only.
	containerWaiterDir = "/var/scf-spare-bin"
	// waiterExitBadOrder is the waiter's exit status when the order cannot
	// be carried out, as a shell's for a command it cannot run.
	waiterExitBadOrder = 127
)

// spareOrder is what the taker of a spare writes into its FIFO.
type spareOrder struct {
	Unset []string `json:"unset"` // the spare's own environment the command must not see
	Env   []string `json:"env"`   // KEY=value, set over the image's environment
	Dir   string   `json:"dir"`   // working directory
	Cmd   []string `json:"cmd"`   // argv; Cmd[0] is looked up in Env's PATH
}

func init() {
	// Before anything else of the binary runs: in a spare container the
	// binary is only the waiter.
	if len(os.Args) == 3 && os.Args[1] == spareWaitArg {
		os.Exit(spareWait(os.Args[2], os.Stderr))
	}
}

// spareWait is the waiter's main: it returns only when it cannot exec.
func spareWait(fifo string, stderr io.Writer) int {
	f, err := os.Open(fifo) // blocks until the runtime opens the write end
	if err != nil {
		fmt.Fprintf(stderr, "scf spare: %v\n", err)
		return waiterExitBadOrder
	}
	var o spareOrder
	err = json.NewDecoder(f).Decode(&o)
	f.Close()
	if errors.Is(err, io.EOF) {
		return 0 // let go without an order
	}
	if err == nil {
		err = o.exec()
	}
	fmt.Fprintf(stderr, "scf spare: %v\n", err)
	return waiterExitBadOrder
}

// exec replaces the waiter with o's command.
func (o spareOrder) exec() error {
	if len(o.Cmd) == 0 {
		return errors.New("empty command")
	}
	for _, k := range o.Unset {
		os.Unsetenv(k)
	}
	for _, kv := range o.Env {
		k, v, _ := bytes.Cut([]byte(kv), []byte("="))
		if err := os.Setenv(string(k), string(v)); err != nil {
			return fmt.Errorf("environment %q: %w", k, err)
		}
	}
	if err := os.Chdir(o.Dir); err != nil {
		return err
	}
	path, err := exec.LookPath(o.Cmd[0]) // in the PATH just set
	if err != nil {
		return err
	}
	return syscall.Exec(path, o.Cmd, os.Environ())
}

// waiter is how spare containers run the waiter, found once per runtime.
type waiter struct {
	files map[string]string // name in the staging folder -> host file
	cmd   []string          // the spare container's command
}

// findWaiter says how this binary runs as the waiter inside any image: as
// it is when it is statically linked; else through the host's dynamic
// loader with the host's libraries beside it, since a FROM-scratch image
// has neither (and another image's may not match).
func findWaiter(exe string) (waiter, error) {
	fifo := containerSpareDir + "/go"
	bin := containerWaiterDir + "/emulator"
	w := waiter{files: map[string]string{"emulator": exe}}
	interp, needed, err := elfDeps(exe)
	if err != nil {
		return waiter{}, err
	}
	if interp == "" {
		w.cmd = []string{bin, spareWaitArg, fifo}
		return w, nil
	}
	libs, err := resolveLibs(interp, needed)
	if err != nil {
		return waiter{}, fmt.Errorf("%s is dynamically linked: %w", exe, err)
	}
	w.files["ld.so"] = interp
	for name, p := range libs {
		w.files[name] = p
	}
	w.cmd = []string{containerWaiterDir + "/ld.so", "--library-path", containerWaiterDir, bin, spareWaitArg, fifo}
	return w, nil
}

// elfDeps returns the program interpreter ("" for a static binary) and the
// libraries the ELF file p needs.
func elfDeps(p string) (interp string, needed []string, err error) {
	f, err := elf.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(prog.Open())
		if err != nil {
			return "", nil, fmt.Errorf("%s: interpreter: %w", p, err)
		}
		interp = string(bytes.TrimRight(b, "\x00"))
	}
	needed, err = f.ImportedLibraries()
	if err != nil {
		return "", nil, fmt.Errorf("%s: libraries: %w", p, err)
	}
	return interp, needed, nil
}

// resolveLibs finds, by name, the libraries needed and those they need in
// turn, where the host's loader looks by default.
func resolveLibs(interp string, needed []string) (map[string]string, error) {
	dirs := []string{filepath.Dir(interp)}
	for _, pat := range []string{"/lib/*-linux-*", "/usr/lib/*-linux-*"} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	dirs = append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
	found := map[string]string{}
	for len(needed) > 0 {
		name := needed[0]
		needed = needed[1:]
		if _, ok := found[name]; ok || filepath.Base(name) != name {
			continue
		}
		i := slices.IndexFunc(dirs, func(dir string) bool {
			fi, err := os.Stat(filepath.Join(dir, name))
			return err == nil && fi.Mode().IsRegular()
		})
		if i < 0 {
			return nil, fmt.Errorf("library %s not found", name)
		}
		p, err := filepath.EvalSymlinks(filepath.Join(dirs[i], name))
		if err != nil {
			return nil, err
		}
		found[name] = p
		_, more, err := elfDeps(p)
		if err != nil {
			return nil, err
		}
		needed = append(needed, more...)
	}
	return found, nil
}

// spareWaiter returns how spares run the waiter, staging its files in the
// spare root the first time.
func (d *Docker) spareWaiter() (waiter, error) {
	s := &d.spares
	s.waiterOnce.Do(func() {
		exe, err := os.Executable()
		if err == nil {
			exe, err = filepath.EvalSymlinks(exe)
		}
		if err == nil {
			s.waiter, err = findWaiter(exe)
		}
		if err == nil {
			err = stageWaiter(d.waiterDir(), s.waiter)
		}
		if err != nil {
			s.waiterErr = fmt.Errorf("no spare containers: %w", err)
			d.logger.Debug("spare containers are off", "err", err)
		}
	})
	return s.waiter, s.waiterErr
}

// stageWaiter links (or copies) w's files into dir, mounted read-only into
// every spare at containerWaiterDir.
func stageWaiter(dir string, w waiter) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, src := range w.files {
		src, err := filepath.EvalSymlinks(src) // link(2) would link the symlink
		if err == nil {
			err = instance.LinkOrCopy(src, filepath.Join(dir, name))
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("stage %s: %w", name, err)
		}
	}
	return nil
}

// waiterDir is where the waiter's files are staged.
func (d *Docker) waiterDir() string { return filepath.Join(d.spareRoot(), "bin") }
