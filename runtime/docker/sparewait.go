package docker

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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

// waiter is how spare containers wait, found once per runtime.
type waiter struct {
	files map[string]string // name in the staging folder -> host file
	cmd   []string          // the spare container's command
	// shell: the image's /bin/sh waits on its stdin for a script
	// (spareshell.go), as where this binary cannot run in the engine's
	// containers; files is empty.
	shell bool
}

// findWaiter says how the binary exe runs as the waiter inside any image
// of eng: as it is when it is statically linked; else through the host's
// dynamic loader with the host's libraries beside it, since a FROM-scratch
// image has neither (and another image's may not match). It fails where
// exe cannot run in eng's containers: not ELF (macOS, Windows), another
// architecture, or another kernel than hostKernel, the one this process
// runs on (a VM such as Docker Desktop's: a FIFO of this machine does not
// reach its containers).
func findWaiter(exe string, eng engineInfo, hostKernel string) (waiter, error) {
	if eng.osType != "linux" {
		return waiter{}, fmt.Errorf("the engine runs %q containers, not linux ones", eng.osType)
	}
	if eng.kernel == "" || eng.kernel != hostKernel {
		return waiter{}, fmt.Errorf("the engine (%s) runs on kernel %q, this machine on %q: its containers cannot share a FIFO with this process", eng.os, eng.kernel, hostKernel)
	}
	want, ok := elfArchOf(eng.arch)
	if !ok {
		return waiter{}, fmt.Errorf("the engine's architecture %q is not one the waiter knows", eng.arch)
	}
	fifo := containerSpareDir + "/go"
	bin := containerWaiterDir + "/emulator"
	w := waiter{files: map[string]string{"emulator": exe}}
	interp, needed, err := elfDeps(exe, want)
	if err != nil {
		return waiter{}, err
	}
	if interp == "" {
		w.cmd = []string{bin, spareWaitArg, fifo}
		return w, nil
	}
	libs, err := resolveLibs(interp, needed, want)
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

// elfArch is what an ELF file must be to run on an architecture.
type elfArch struct {
	machine elf.Machine
	class   elf.Class
	data    elf.Data
}

// elfArchOf maps the daemon's Architecture (uname -m; Go's names too) to
// the ELF files that run there.
func elfArchOf(arch string) (elfArch, bool) {
	switch arch {
	case "x86_64", "amd64":
		return elfArch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "aarch64", "arm64":
		return elfArch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "armv7l", "armv6l", "arm":
		return elfArch{elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB}, true
	case "i386", "i686", "386":
		return elfArch{elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB}, true
	case "ppc64le":
		return elfArch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "s390x":
		return elfArch{elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB}, true
	case "riscv64":
		return elfArch{elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	}
	return elfArch{}, false
}

// elfDeps returns the program interpreter ("" for a static binary) and the
// libraries the ELF file p needs, once p is known to be of arch.
func elfDeps(p string, arch elfArch) (interp string, needed []string, err error) {
	f, err := elf.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if got := (elfArch{f.Machine, f.Class, f.Data}); got != arch {
		return "", nil, fmt.Errorf("%s is %v %v %v, the engine runs %v %v %v", p, got.machine, got.class, got.data, arch.machine, arch.class, arch.data)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return "", nil, fmt.Errorf("%s is for %v, not linux", p, f.OSABI)
	}
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
// turn, where the host's loader looks by default. A multiarch host has a
// library of the same name for each architecture: only arch's counts.
func resolveLibs(interp string, needed []string, arch elfArch) (map[string]string, error) {
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
		var more []string
		for _, dir := range dirs {
			p, err := filepath.EvalSymlinks(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if _, more, err = elfDeps(p, arch); err == nil {
				found[name] = p
				break
			}
		}
		if _, ok := found[name]; !ok {
			return nil, fmt.Errorf("library %s not found for %v", name, arch.machine)
		}
		needed = append(needed, more...)
	}
	return found, nil
}

// shellWaiter is the waiter where the binary cannot be one: the image's
// shell reads its orders from stdin (spareshell.go).
var shellWaiter = waiter{shell: true, cmd: []string{"/bin/sh", "-s"}}

// spareWaiter returns how spares wait, asking the daemon about its engine
// and staging the binary waiter's files in the spare root the first time.
// Where the binary waiter cannot run, spares wait in the image's shell.
func (d *Docker) spareWaiter(ctx context.Context) (waiter, error) {
	s := &d.spares
	s.waiterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
		eng, err := d.api.engine(ctx)
		cancel()
		if err != nil {
			s.waiterErr = fmt.Errorf("no spare containers: docker info: %w", err)
			d.logger.Debug("spare containers are off", "err", err)
			return
		}
		if eng.osType != "linux" {
			s.waiterErr = fmt.Errorf("no spare containers: the engine runs %q containers", eng.osType)
			d.logger.Debug("spare containers are off", "err", s.waiterErr)
			return
		}
		if s.noBinary {
			err = errors.New("the binary waiter is off")
		} else {
			s.waiter, err = d.binaryWaiter(eng)
		}
		if err != nil {
			s.waiter = shellWaiter
			d.logger.Debug("spare containers wait in the image's shell", "why", err)
		}
	})
	s.mu.Lock()
	s.waiterKnown = true
	s.mu.Unlock()
	return s.waiter, s.waiterErr
}

// binaryWaiter is findWaiter for this binary, staged.
func (d *Docker) binaryWaiter(eng engineInfo) (waiter, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return waiter{}, err
	}
	w, err := findWaiter(exe, eng, hostKernel())
	if err == nil {
		err = stageWaiter(d.waiterDir(), w)
	}
	return w, err
}

// hostKernel is the release of the kernel this process runs on; "" where
// it is not Linux.
func hostKernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
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
