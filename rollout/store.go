package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/scf-emulator/emulator/atomicfile"
)

// fileName is the state file in Options.Dir.
const fileName = "rollouts.json"

// stateFile is the on-disk form: running rollouts and the last few finished
// ones per alias.
type stateFile struct {
	Version  int      `json:"version"`
	Rollouts []record `json:"rollouts"`
}

// load reads the state file; a missing file is an empty state. A file that
// cannot be read is an error that names it: resuming blindly could leave an
// alias half-rolled-out.
func (m *Manager) load() ([]record, error) {
	dir := m.opts.Dir
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := atomicfile.RemoveTemps(dir, fileName); err != nil {
		m.log.Warn("could not remove temporary rollout files", "dir", dir, "err", err)
	}
	path := filepath.Join(dir, fileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w; fix or remove the file (it holds the rollouts in progress)", path, err)
	}
	running := map[key]bool{}
	for i, rec := range f.Rollouts {
		if err := checkRecord(rec); err != nil {
			return nil, fmt.Errorf("%s: rollout %d (%s): %w", path, i+1, rec.ID, err)
		}
		if k := (key{rec.Function, rec.Alias}); !rec.State.Terminal() {
			if running[k] {
				return nil, fmt.Errorf("%s: two running rollouts of alias %s of function %s", path, rec.Alias, rec.Function)
			}
			running[k] = true
		}
	}
	return f.Rollouts, nil
}

// checkRecord rejects records a running rollout could not be driven from.
func checkRecord(rec record) error {
	switch {
	case rec.Function == "" || rec.Alias == "" || rec.To == "":
		return errors.New("function, alias or to is missing")
	case len(rec.Steps) == 0 || rec.Steps[len(rec.Steps)-1] != 1:
		return errors.New("steps are missing or do not end at 1")
	case rec.Step < 0 || rec.Step >= len(rec.Steps):
		return fmt.Errorf("step %d is outside the %d steps", rec.Step, len(rec.Steps))
	case rec.Speed < 1:
		return fmt.Errorf("speed %g is below 1", rec.Speed)
	}
	switch rec.State {
	case StateRunning, StateHeld, StatePromoted, StateRolledBack, StateAborted, StateFailed:
		return nil
	}
	return fmt.Errorf("unknown state %q", rec.State)
}

// saveLocked writes every rollout. A failed write is logged: the rollout
// goes on, and the next transition tries again.
func (m *Manager) saveLocked() {
	if m.opts.Dir == "" {
		return
	}
	recs := slices.Clone(m.finished)
	for _, r := range m.running {
		recs = append(recs, r.rec)
	}
	if err := writeState(m.opts.Dir, recs); err != nil {
		m.log.Error("could not save the rollout state", "dir", m.opts.Dir, "err", err)
	}
}

// writeState replaces dir's state file with recs, oldest first.
func writeState(dir string, recs []record) error {
	f := stateFile{Version: 1, Rollouts: recs}
	slices.SortStableFunc(f.Rollouts, func(a, b record) int { return a.StartedAt.Compare(b.StartedAt) })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(dir, fileName, append(b, '\n'))
}

// EndStopped ends the running and held rollouts of function in dir's state
// file, for a caller that holds the state dir while no emulator runs on it:
// `emulator gc --parked`, which deletes parked functions, gives the reason
// here rather than leaving the next start to find the function gone. It
// returns the rollouts it ended.
func EndStopped(dir, function, how string, now time.Time) ([]Status, error) {
	m := &Manager{opts: Options{Dir: dir}, log: slog.New(slog.DiscardHandler)}
	recs, err := m.load()
	if err != nil {
		return nil, err
	}
	var ended []Status
	for i := range recs {
		rec := &recs[i]
		if rec.Function != function || rec.State.Terminal() {
			continue
		}
		endDeletedRecord(rec, how)
		rec.UpdatedAt = now
		ended = append(ended, rec.Status)
	}
	if len(ended) == 0 {
		return nil, nil
	}
	return ended, writeState(dir, recs)
}
