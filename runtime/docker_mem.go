package runtime

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// memProbe reads a container's memory use from the cgroup files of this
// machine, as `docker stats` computes it (usage minus inactive page cache),
// without a stats call to the daemon on every invocation. It falls back to
// the resident set of the container's main process, and to 0 (unknown) when
// the daemon runs elsewhere.
type memProbe struct {
	usageFile   string // memory.usage_in_bytes (cgroup v1) or memory.current (v2)
	statFile    string // memory.stat
	inactiveKey string // the inactive file cache line of memory.stat
	eventsFile  string // memory.oom_control (v1) or memory.events (v2): the oom_kill counter
	pid         int    // host pid of the main process, for the fallback
}

// newMemProbe locates the memory cgroup of the process pid.
func newMemProbe(pid int) memProbe {
	m := memProbe{pid: pid}
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
			m.usageFile, m.inactiveKey = filepath.Join(dir, "memory.usage_in_bytes"), "total_inactive_file"
			m.eventsFile = filepath.Join(dir, "memory.oom_control")
		case parts[0] == "0" && parts[1] == "" && m.usageFile == "":
			dir = filepath.Join("/sys/fs/cgroup", parts[2])
			m.usageFile, m.inactiveKey = filepath.Join(dir, "memory.current"), "inactive_file"
			m.eventsFile = filepath.Join(dir, "memory.events")
		default:
			continue
		}
		m.statFile = filepath.Join(dir, "memory.stat")
		if parts[1] != "" {
			break // v1 memory controller: authoritative
		}
	}
	if m.usageFile != "" && !fileExists(m.usageFile) {
		m.usageFile, m.statFile, m.eventsFile = "", "", ""
	}
	return m
}

// usage returns the bytes in use now, 0 when unknown.
func (m memProbe) usage() int64 {
	if m.usageFile == "" {
		if m.pid > 0 {
			return memUsage(m.pid)
		}
		return 0
	}
	b, err := os.ReadFile(m.usageFile)
	if err != nil {
		return 0 // the container is gone
	}
	used, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0
	}
	if f, err := os.Open(m.statFile); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), " ")
			if ok && k == m.inactiveKey {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n < used {
					used -= n
				}
				break
			}
		}
	}
	return used
}

// oomKills returns how many processes of the container the kernel's OOM
// killer has killed so far, -1 when unknown (the daemon runs elsewhere, or a
// kernel before 4.13 on cgroup v1). Docker's OOMKilled flag only says so
// once the container exits; this counter also sees a child process killed
// while the container's main process lives on.
func (m memProbe) oomKills() int64 {
	if m.eventsFile == "" {
		return -1
	}
	b, err := os.ReadFile(m.eventsFile)
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
