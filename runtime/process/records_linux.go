//go:build linux

package process

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/scf-emulator/emulator/atomicfile"
)

// recordsFile, in the process runtime's work dir, lists the processes of
// every running instance.
const recordsFile = "instances.json"

// procRef names one process: a pid and its start time, so that a pid the
// kernel reused for an unrelated process is never mistaken for it.
type procRef struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// record is one instance in recordsFile.
type record struct {
	PID      int       `json:"pid"`
	Start    uint64    `json:"start"`
	Cgroup   string    `json:"cgroup,omitempty"`
	Tag      string    `json:"tag,omitempty"`      // instanceTagEnv's value
	Children []procRef `json:"children,omitempty"` // descendants seen without a cgroup
}

// records keeps recordsFile.
type records struct {
	dir    string
	logger *slog.Logger
}

func newRecords(dir string, logger *slog.Logger) *records {
	return &records{dir: dir, logger: logger}
}

// save replaces the file with recs. A failure costs only the clean-up after
// a crash, so it is logged, not returned.
func (r *records) save(recs []record) {
	if recs == nil {
		recs = []record{}
	}
	b, err := json.Marshal(recs)
	if err == nil {
		err = atomicfile.WriteFile(r.dir, recordsFile, b)
	}
	if err != nil {
		r.logger.Warn("cannot record the function processes", "err", err)
	}
}

// reap kills what the records of a previous runtime on this dir name: the
// instances a crashed or killed emulator left running. Each pid is checked
// against its recorded start time first.
func (r *records) reap() {
	_, _ = atomicfile.RemoveTemps(r.dir, recordsFile)
	b, err := os.ReadFile(filepath.Join(r.dir, recordsFile))
	if err != nil {
		return
	}
	var recs []record
	if err := json.Unmarshal(b, &recs); err != nil {
		r.logger.Warn("unreadable records of function processes; nothing reaped", "file", recordsFile, "err", err)
		r.save(nil)
		return
	}
	killed := 0
	for _, rec := range recs {
		killed += reapRecord(rec)
	}
	if killed > 0 {
		r.logger.Info("killed function processes a previous run left behind", "processes", killed)
	}
	r.save(nil)
}

// reapRecord kills one recorded instance's processes and returns how many.
func reapRecord(rec record) int {
	procs := allProcs()
	set := map[int]uint64{}
	if p, ok := procs[rec.PID]; ok && p.start == rec.Start {
		set[rec.PID] = rec.Start
		for pid, start := range descendants(procs, rec.PID) {
			set[pid] = start
		}
	} else if !ok {
		// The leader is gone and its pid unused: a pid stays unallocated while
		// a process group of that id lives, so the group is still the one
		// the instance made.
		for pid, p := range procs {
			if p.pgid == rec.PID {
				set[pid] = p.start
			}
		}
	}
	for _, c := range rec.Children {
		set[c.PID] = c.Start
	}
	if rec.Tag != "" {
		// Orphans init adopted after the crash: known by the tag they inherited.
		for pid, p := range procs {
			if p.ppid == 1 && hasTag(pid, rec.Tag) {
				set[pid] = p.start
			}
		}
	}
	n := killVerified(set)
	if rec.Cgroup != "" && filepath.IsAbs(rec.Cgroup) && isCgroupDir(rec.Cgroup) {
		for _, pid := range cgroupProcs(rec.Cgroup) {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
		removeCgroup(rec.Cgroup)
	}
	return n
}

// isCgroupDir reports whether dir is a cgroup of the emulator's making,
// so that an edited record cannot point the reaper at another cgroup.
func isCgroupDir(dir string) bool {
	if filepath.Base(filepath.Dir(dir)) != "scf-emulator" {
		return false
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	const cgroupMagic, cgroup2Magic = 0x27e0eb, 0x63677270
	return st.Type == cgroupMagic || st.Type == cgroup2Magic
}
