//go:build linux

package process

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// procInfo is what the runtime reads of one process from /proc/PID/stat.
type procInfo struct {
	ppid, pgid int
	state      byte   // R, S, Z ...
	start      uint64 // start time in clock ticks since boot: a pid plus its start names one process
	rss        int64  // bytes
}

var pageSize = int64(os.Getpagesize())

// readProc parses /proc/PID/stat; ok is false when the process is gone.
func readProc(pid int) (procInfo, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	// The command name is in parentheses and may hold anything, even ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procInfo{}, false
	}
	f := bytes.Fields(b[i+2:]) // f[0] is field 3 of proc(5)
	if len(f) < 22 {
		return procInfo{}, false
	}
	num := func(field int) int64 {
		n, _ := strconv.ParseInt(string(f[field-3]), 10, 64)
		return n
	}
	return procInfo{
		state: f[0][0], ppid: int(num(4)), pgid: int(num(5)),
		start: uint64(num(22)), rss: num(24) * pageSize,
	}, true
}

// startTime returns the start time of pid, 0 when it is gone.
func startTime(pid int) uint64 {
	p, ok := readProc(pid)
	if !ok {
		return 0
	}
	return p.start
}

// allProcs reads every process of the machine.
func allProcs() map[int]procInfo {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	procs := make(map[int]procInfo, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			procs[pid] = p
		}
	}
	return procs
}

// descendants returns the processes below root (not root itself) and the
// members of root's process group, with their start times. A process that
// left root's session and whose parent already died is not found here: the
// caller keeps what earlier walks saw.
func descendants(procs map[int]procInfo, root int) map[int]uint64 {
	if root <= 0 {
		// No process: pid 0 is every process's ancestor, and the pgid of
		// the kernel's threads.
		return map[int]uint64{}
	}
	children := make(map[int][]int)
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	out := make(map[int]uint64)
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if _, seen := out[c]; !seen && c != root {
				out[c] = procs[c].start
				queue = append(queue, c)
			}
		}
	}
	for pid, p := range procs {
		if p.pgid == root && pid != root {
			out[pid] = p.start
		}
	}
	return out
}

// killVerified sends SIGKILL to each pid still running with the start time
// recorded for it, so a pid the kernel gave to an unrelated process since
// is never touched. It returns how many it signalled.
func killVerified(pids map[int]uint64) int {
	n := 0
	for pid, start := range pids {
		if pid <= 1 || pid == os.Getpid() {
			continue
		}
		if p, ok := readProc(pid); ok && p.start == start && p.state != 'Z' {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	return n
}

// reapOrphans collects the exit status of those pids that are zombies the
// emulator inherited as a child subreaper; os/exec waits only for the
// processes it started.
func reapOrphans(pids map[int]uint64) {
	self := os.Getpid()
	for pid, start := range pids {
		if p, ok := readProc(pid); ok && p.start == start && p.ppid == self && p.state == 'Z' {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// killAll kills the processes that set returns until none is left, bounded
// so that a fork bomb outpacing the kills cannot hold Stop forever.
func killAll(set func() map[int]uint64) error {
	deadline := time.Now().Add(stopTimeout)
	for {
		pids := set()
		if killVerified(pids) == 0 {
			reapOrphans(pids)
			return nil
		}
		reapOrphans(pids)
		if time.Now().After(deadline) {
			return errors.New("function processes kept appearing while being killed")
		}
		time.Sleep(time.Millisecond)
	}
}
