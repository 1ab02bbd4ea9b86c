package memprobe

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Probe reads the memory use of a container or a cgroup from the cgroup files of this
// machine, as `docker stats` computes it (usage minus inactive page cache),
// without a stats call to the daemon on every invocation. It falls back to
// the resident set of the container's main process, and to 0 (unknown) when
// the daemon runs elsewhere.
type Probe struct {
	UsageFile   string // memory.usage_in_bytes (cgroup v1) or memory.current (v2)
	StatFile    string // memory.stat
	InactiveKey string // the inactive file cache line of memory.stat
	EventsFile  string // memory.oom_control (v1) or memory.events (v2): the oom_kill counter
	PID         int    // host pid of the main process, for the fallback
}

// New locates the memory cgroup of the process pid.
func New(pid int) Probe {
	m := Probe{PID: pid}
	if pid <= 0 {
		return m
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		// "4:memory:/docker/<id>" (v1) or "0::/system.slice/docker-<id>.scope" (v2)
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir string
		switch {
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			dir = filepath.Join("/sys/fs/cgroup/memory", parts[2])
			m.UsageFile, m.InactiveKey = filepath.Join(dir, "memory.usage_in_bytes"), "total_inactive_file"
			m.EventsFile = filepath.Join(dir, "memory.oom_control")
		case parts[0] == "0" && parts[1] == "" && m.UsageFile == "":
			dir = filepath.Join("/sys/fs/cgroup", parts[2])
			m.UsageFile, m.InactiveKey = filepath.Join(dir, "memory.current"), "inactive_file"
			m.EventsFile = filepath.Join(dir, "memory.events")
		default:
			continue
		}
		m.StatFile = filepath.Join(dir, "memory.stat")
		if parts[1] != "" {
			break // v1 memory controller: authoritative
		}
	}
	if m.UsageFile != "" && !fileExists(m.UsageFile) {
		m.UsageFile, m.StatFile, m.EventsFile = "", "", ""
	}
	return m
}

// Usage returns the bytes in use now, 0 when unknown.
func (m Probe) Usage() int64 {
	if m.UsageFile == "" {
		if m.PID > 0 {
			return RSS(m.PID)
		}
		return 0
	}
	b, err := os.ReadFile(m.UsageFile)
	if err != nil {
		return 0 // the container is gone
	}
	used, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0
	}
	if f, err := os.Open(m.StatFile); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), " ")
			if ok && k == m.InactiveKey {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n < used {
					used -= n
				}
				break
			}
		}
	}
	return used
}

// OOMKills returns how many processes of the container the kernel's OOM
// killer has killed so far, -1 when unknown (the daemon runs elsewhere, or a
// kernel before 4.13 on cgroup v1). Docker's OOMKilled flag only says so
// once the container exits; this counter also sees a child process killed
// while the container's main process lives on.
func (m Probe) OOMKills() int64 {
	if m.EventsFile == "" {
		return -1
	}
	b, err := os.ReadFile(m.EventsFile)
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && k == "oom_kill" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
