//go:build linux

package process

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sampleEvery is how often, without a cgroup, the runtime walks the
// process table to see every instance's processes and their memory.
const sampleEvery = 50 * time.Millisecond

// treeSeq numbers instance trees across every runtime of the process.
var treeSeq atomic.Int64

// isolation finds every process an instance started, so that stopping the
// instance ends them all, even those that left its process group or
// session (setsid) or whose parent died. With a cgroup (root, v2 or v1)
// the kernel keeps the list and enforces the memory size; without one the
// emulator is a child subreaper, so orphans stay its children, and a
// sampler walks /proc to keep each instance's list and its peak memory.
// Each instance's processes are recorded in the state dir, so that the
// next runtime on it kills what a crashed emulator left behind.
type isolation struct {
	cg     *cgroupRoot // nil without cgroups
	rec    *records
	logger *slog.Logger

	mu      sync.Mutex // guards trees and sampler
	trees   map[*tree]struct{}
	sampler chan struct{} // closed to stop the sampler; nil when none runs
}

// newIsolation picks the mode and reaps what the records of dir name.
func newIsolation(dir, mode string, logger *slog.Logger) *isolation {
	iso := &isolation{rec: newRecords(dir, logger), logger: logger, trees: map[*tree]struct{}{}}
	iso.rec.reap()
	if mode != IsolationSubreaper {
		iso.cg = findCgroupRoot(logger)
	}
	if iso.cg == nil {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			logger.Warn("cannot become a child subreaper: processes a function detaches may outlive it", "err", err)
		}
	}
	return iso
}

// describe names the mode for the console and logs.
func (iso *isolation) describe() string {
	if iso.cg != nil {
		return "cgroup " + iso.cg.version + " (" + iso.cg.dir + ")"
	}
	return "child subreaper (no cgroup: memory size reported, not enforced)"
}

// instanceTagEnv is set, to a value unique to the instance, in the
// environment of every function process: descendants inherit it, so an
// orphan the emulator adopted as subreaper, or that a crashed emulator left
// to init, is known by it.
const instanceTagEnv = "SCF_EMULATOR_INSTANCE"

// tree is one instance's processes.
type tree struct {
	iso     *isolation
	tag     string // instanceTagEnv's value
	main    int
	start   uint64
	cg      string // the instance's cgroup directory, "" when none
	limitMB int
	logger  *slog.Logger

	mu    sync.Mutex // guards known, peak and warned
	known map[int]uint64
	peak  int64 // bytes, since the last memUsage
	warn  bool  // the memory size was exceeded and not yet reported
}

// prepare makes the cgroup for an instance of limitMB, before it starts.
// With cgroup v2 the process is born in it (attr gets its descriptor);
// the returned func closes that descriptor once the process started.
func (iso *isolation) prepare(limitMB int, attr *syscall.SysProcAttr, logger *slog.Logger) (*tree, func()) {
	// The sequence is process-wide: two runtimes in one process (tests,
	// several Apps) must never share a cgroup name or a tag, or stopping
	// one's instance would signal the other's.
	name := strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(treeSeq.Add(1), 10)
	t := &tree{iso: iso, limitMB: limitMB, logger: logger, known: map[int]uint64{},
		tag: name + "-" + strconv.FormatUint(startTime(os.Getpid()), 10)}
	if iso.cg == nil {
		return t, func() {}
	}
	dir, fd, err := iso.cg.create(name, limitMB)
	if err != nil {
		logger.Warn("no cgroup for this instance: memory size not enforced", "err", err)
		return t, func() {}
	}
	t.cg = dir
	if fd >= 0 {
		attr.UseCgroupFD, attr.CgroupFD = true, fd
		return t, func() { syscall.Close(fd) }
	}
	return t, func() {}
}

// env is what the tree adds to the function's environment.
func (t *tree) env() []string { return []string{instanceTagEnv + "=" + t.tag} }

// attach records the started process pid; with cgroup v1 it moves it into
// the cgroup (v1 cannot start a process inside one).
func (t *tree) attach(pid int) {
	t.main, t.start = pid, startTime(pid)
	if t.cg != "" && t.iso.cg.version == "v1" {
		if err := os.WriteFile(filepath.Join(t.cg, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			t.logger.Warn("cannot move the function into its cgroup: memory size not enforced", "err", err)
			_ = os.Remove(t.cg)
			t.cg = ""
		}
	}
	t.iso.register(t)
}

// members returns every process of the tree that is still running.
func (t *tree) members() map[int]uint64 {
	procs := allProcs()
	out := descendants(procs, t.main)
	if p, ok := procs[t.main]; ok && p.start == t.start {
		out[t.main] = t.start
	}
	for _, pid := range cgroupProcs(t.cg) {
		out[pid] = procs[pid].start
	}
	self := os.Getpid()
	for pid, p := range procs {
		if p.ppid == self && pid != t.main && p.state != 'Z' && hasTag(pid, t.tag) {
			out[pid] = p.start // an orphan adopted as subreaper
		}
	}
	t.mu.Lock()
	for pid, start := range t.known {
		if p, ok := procs[pid]; ok && p.start == start {
			out[pid] = start
		}
	}
	t.mu.Unlock()
	return out
}

// signal sends sig to every process of the tree.
func (t *tree) signal(sig syscall.Signal) {
	for pid, start := range t.members() {
		if p, ok := readProc(pid); ok && p.start == start {
			_ = syscall.Kill(pid, sig)
		}
	}
}

// kill ends every process of the tree and forgets it: the instance is gone.
func (t *tree) kill() error {
	_ = signalGroup(t.main, syscall.SIGKILL)
	err := killAll(t.members)
	if t.cg != "" {
		removeCgroup(t.cg)
	}
	t.iso.unregister(t)
	return err
}

// register adds t to the records, and to the sampler without a cgroup.
func (iso *isolation) register(t *tree) {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	iso.trees[t] = struct{}{}
	iso.saveLocked()
	if iso.cg == nil && iso.sampler == nil {
		iso.sampler = make(chan struct{})
		go iso.sample(iso.sampler)
	}
}

func (iso *isolation) unregister(t *tree) {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	if _, ok := iso.trees[t]; !ok {
		return
	}
	delete(iso.trees, t)
	iso.saveLocked()
	if len(iso.trees) == 0 && iso.sampler != nil {
		close(iso.sampler)
		iso.sampler = nil
	}
}

// saveLocked writes the records of every live tree; the caller holds mu.
func (iso *isolation) saveLocked() {
	recs := make([]record, 0, len(iso.trees))
	for t := range iso.trees {
		t.mu.Lock()
		r := record{PID: t.main, Start: t.start, Cgroup: t.cg, Tag: t.tag}
		for pid, start := range t.known {
			r.Children = append(r.Children, procRef{PID: pid, Start: start})
		}
		t.mu.Unlock()
		recs = append(recs, r)
	}
	iso.rec.save(recs)
}

// sample runs while trees without a cgroup exist: it learns each tree's
// processes before their parents can die, reaps orphans that exited, and
// keeps each tree's peak memory. It ends when stop is closed.
func (iso *isolation) sample(stop chan struct{}) {
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		procs := allProcs()
		iso.mu.Lock()
		changed := false
		for t := range iso.trees {
			changed = t.observe(procs) || changed
		}
		if changed {
			iso.saveLocked()
		}
		iso.mu.Unlock()
	}
}

// observe updates the tree from one walk of the process table and reports
// whether it found processes it did not know.
func (t *tree) observe(procs map[int]procInfo) bool {
	seen := descendants(procs, t.main)
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := false
	var rss int64
	if p, ok := procs[t.main]; ok && p.start == t.start {
		rss = p.rss
	}
	for pid, start := range t.known {
		if p, ok := procs[pid]; !ok || p.start != start {
			delete(t.known, pid)
		} else if p.state == 'Z' && p.ppid == os.Getpid() {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		} else {
			seen[pid] = start
		}
	}
	for pid, p := range procs {
		if p.ppid == os.Getpid() && pid != t.main && t.known[pid] != p.start && hasTag(pid, t.tag) {
			seen[pid] = p.start // an orphan adopted as subreaper
		}
	}
	for pid, start := range seen {
		if _, ok := t.known[pid]; !ok {
			t.known[pid] = start
			changed = true
		}
		rss += procs[pid].rss
	}
	t.peak = max(t.peak, rss)
	if t.limitMB > 0 && rss > int64(t.limitMB)<<20 {
		t.warn = true
	}
	return changed
}

// MemUsage returns the tree's peak memory since the previous call, and
// warns, without a cgroup to enforce it, when that passed the memory size.
func (t *tree) MemUsage() int64 {
	if t.cg != "" {
		return t.iso.cg.peak(t.cg)
	}
	t.observe(allProcs())
	t.mu.Lock()
	peak, warn := t.peak, t.warn
	t.peak, t.warn = 0, false
	t.mu.Unlock()
	if warn {
		t.logger.Warn(fmt.Sprintf("function used %d MB, more than its memory size of %d MB; the process runtime without a cgroup does not enforce it (the platform would answer 434)",
			peak>>20, t.limitMB))
	}
	return peak
}

// OOMKills is the cgroup's OOM kill counter, -1 without a cgroup.
func (t *tree) OOMKills() int64 {
	if t.cg == "" {
		return -1
	}
	return t.iso.cg.probe(t.cg).OOMKills()
}

// cgroupProcs lists the processes in the cgroup dir, none when dir is "".
func cgroupProcs(dir string) []int {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasTag reports whether pid's environment holds the instance tag.
func hasTag(pid int, tag string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := instanceTagEnv + "=" + tag
	for kv := range strings.SplitSeq(string(b), "\x00") {
		if kv == want {
			return true
		}
	}
	return false
}
