//go:build linux

package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/memprobe"
)

const cgroupFS = "/sys/fs/cgroup"

// cgroupRoot is the directory under which the process runtime makes one
// memory cgroup per instance.
type cgroupRoot struct {
	version string // "v2" or "v1"
	dir     string
}

// findCgroupRoot returns where instance cgroups can be made, nil when they
// cannot (not root, no memory controller, a read-only cgroupfs). With v2 the
// root is a child of the top cgroup, since a cgroup that holds processes (the
// emulator's own) cannot hand controllers to children; with v1 it is below
// the emulator's own memory cgroup, so that the emulator's limits still
// cover its functions.
func findCgroupRoot(logger *slog.Logger) *cgroupRoot {
	var r *cgroupRoot
	if ctrl, err := os.ReadFile(filepath.Join(cgroupFS, "cgroup.controllers")); err == nil {
		if !strings.Contains(" "+string(ctrl)+" ", " memory ") {
			logger.Debug("cgroup v2 without the memory controller")
			return nil
		}
		r = &cgroupRoot{version: "v2", dir: filepath.Join(cgroupFS, "scf-emulator")}
	} else if own := ownV1Memory(); own != "" {
		r = &cgroupRoot{version: "v1", dir: filepath.Join(cgroupFS, "memory", own, "scf-emulator")}
	} else {
		return nil
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		logger.Debug("no cgroups for instances", "err", err)
		return nil
	}
	if r.version == "v2" {
		if err := os.WriteFile(filepath.Join(r.dir, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
			if err := os.WriteFile(filepath.Join(r.dir, "cgroup.subtree_control"), []byte("+memory"), 0); err != nil {
				logger.Debug("no cgroups for instances: cannot enable the memory controller", "err", err)
				return nil
			}
		}
	}
	probe := filepath.Join(r.dir, "probe-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		logger.Debug("no cgroups for instances", "err", err)
		return nil
	}
	_ = os.Remove(probe)
	return r
}

// ownV1Memory returns the emulator's own memory cgroup path on a v1
// hierarchy mounted at /sys/fs/cgroup/memory, "" when there is none.
func ownV1Memory() string {
	if _, err := os.Stat(filepath.Join(cgroupFS, "memory", "cgroup.procs")); err != nil {
		return ""
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && strings.Contains(","+parts[1]+",", ",memory,") {
			if p := filepath.Clean(parts[2]); fileExists(filepath.Join(cgroupFS, "memory", p, "cgroup.procs")) {
				return p
			}
			return "/" // the path is from another namespace; the mount is our view
		}
	}
	return ""
}

// create makes the cgroup name with a memory limit of limitMB. With v2 it
// also returns an open descriptor of the directory to start a process in,
// else -1.
func (r *cgroupRoot) create(name string, limitMB int) (string, int, error) {
	dir := filepath.Join(r.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", -1, fmt.Errorf("make cgroup: %w", err)
	}
	limit := []byte(strconv.FormatInt(int64(limitMB)<<20, 10))
	var err error
	if r.version == "v2" {
		err = os.WriteFile(filepath.Join(dir, "memory.max"), limit, 0)
		_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0)
	} else {
		err = os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), limit, 0)
		// Without swap accounting the file is absent; with it, the limit
		// must cover swap too or a function pages out instead of failing.
		_ = os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), limit, 0)
	}
	if err != nil {
		_ = os.Remove(dir)
		return "", -1, fmt.Errorf("set the cgroup's memory limit: %w", err)
	}
	if r.version != "v2" {
		return dir, -1, nil
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		_ = os.Remove(dir)
		return "", -1, fmt.Errorf("open cgroup: %w", err)
	}
	return dir, fd, nil
}

// probe reads the instance cgroup dir's memory files.
func (r *cgroupRoot) probe(dir string) memprobe.Probe {
	if r.version == "v2" {
		return memprobe.Probe{UsageFile: filepath.Join(dir, "memory.current"), StatFile: filepath.Join(dir, "memory.stat"),
			InactiveKey: "inactive_file", EventsFile: filepath.Join(dir, "memory.events")}
	}
	return memprobe.Probe{UsageFile: filepath.Join(dir, "memory.usage_in_bytes"), StatFile: filepath.Join(dir, "memory.stat"),
		InactiveKey: "total_inactive_file", EventsFile: filepath.Join(dir, "memory.oom_control")}
}

// peak returns the cgroup's peak memory since the previous call and starts
// a new period; the current use when the kernel keeps no resettable peak.
func (r *cgroupRoot) peak(dir string) int64 {
	name := "memory.max_usage_in_bytes"
	if r.version == "v2" {
		name = "memory.peak"
	}
	f := filepath.Join(dir, name)
	b, err := os.ReadFile(f)
	if err != nil {
		return r.probe(dir).Usage()
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return r.probe(dir).Usage()
	}
	_ = os.WriteFile(f, []byte("0"), 0) // v1 resets on "0"; v2 (6.12+) on any write
	return n
}

// removeCgroup removes an instance's cgroup once its processes are gone;
// the kernel may take a moment to let go of the last one.
func removeCgroup(dir string) {
	for range 50 {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		if len(cgroupProcs(dir)) > 0 {
			for _, pid := range cgroupProcs(dir) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
