package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/scf-emulator/emulator/atomicfile"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// FileName is the state file under the state folder.
const FileName = "capacity.json"

// Runner is the part of the runtime manager that enforces the settings.
type Runner interface {
	Provision(ctx context.Context, spec runtime.Spec, n int) error
	SetReserved(namespace, function string, mb int)
}

// Specs maps a published version to its runtime spec (the engine).
type Specs interface {
	Spec(function, version string) (runtime.Spec, error)
}

// state is what capacity.json holds. Function keys are registry keys.
type state struct {
	Provisioned map[string]map[string]int `json:"provisioned,omitempty"` // function -> version -> instances
	Reserved    map[string]int            `json:"reserved,omitempty"`    // function -> MB
}

// Store holds the settings. It is safe for concurrent use.
type Store struct {
	dir   string
	run   Runner
	specs Specs
	log   *slog.Logger
	ctx   context.Context // the emulator's lifetime: provisioned starts outlive API calls

	mu sync.Mutex // guards st and serializes the file writes
	st state
}

// Open reads dir/capacity.json (absent is empty). Nothing is applied until
// Apply. A nil logger discards.
func Open(ctx context.Context, dir string, run Runner, specs Specs, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, run: run, specs: specs, log: log, ctx: context.WithoutCancel(ctx)}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &s.st); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, FileName), err)
		}
	}
	return s, nil
}

// Seed adds the config file's provisioned counts for versions the state
// does not mention yet: what was set through the API wins, as for aliases.
func (s *Store) Seed(function string, provisioned map[string]int) error {
	if len(provisioned) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for v, n := range provisioned {
		if _, ok := s.st.Provisioned[function][v]; !ok {
			s.setLocked(function, v, n)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return s.saveLocked()
}

// Apply hands every setting to the runner; versions not published yet are
// applied when they are (OnChange).
func (s *Store) Apply() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for fn, mb := range s.st.Reserved {
		ns, name := registry.SplitKey(fn)
		s.run.SetReserved(ns, name, mb)
	}
	for fn, vs := range s.st.Provisioned {
		for v, n := range vs {
			s.provision(fn, v, n)
		}
	}
}

// provision applies one count; a version that does not exist (yet) is left
// for OnChange.
func (s *Store) provision(function, version string, n int) {
	spec, err := s.specs.Spec(function, version)
	if err != nil {
		return
	}
	if err := s.run.Provision(s.ctx, spec, n); err != nil {
		s.log.Warn("provisioning failed", "function", function, "version", version, "err", err)
	}
}

// SetProvisioned sets how many instances of version are kept warm; 0
// deletes the setting. The caller checked that the version exists.
func (s *Store) SetProvisioned(function, version string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	s.st = clone(old)
	s.setLocked(function, version, n)
	if err := s.saveLocked(); err != nil {
		s.st = old
		return err
	}
	s.provision(function, version, n)
	return nil
}

func (s *Store) setLocked(function, version string, n int) {
	if n <= 0 {
		delete(s.st.Provisioned[function], version)
		if len(s.st.Provisioned[function]) == 0 {
			delete(s.st.Provisioned, function)
		}
		return
	}
	if s.st.Provisioned == nil {
		s.st.Provisioned = map[string]map[string]int{}
	}
	if s.st.Provisioned[function] == nil {
		s.st.Provisioned[function] = map[string]int{}
	}
	s.st.Provisioned[function][version] = n
}

// Provisioned returns the function's provisioned counts by version.
func (s *Store) Provisioned(function string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.st.Provisioned[function])
}

// SetReserved caps the function's in-flight memory across versions at mb;
// mb < 0 deletes the cap.
func (s *Store) SetReserved(function string, mb int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	s.st = clone(old)
	if mb < 0 {
		delete(s.st.Reserved, function)
	} else {
		if s.st.Reserved == nil {
			s.st.Reserved = map[string]int{}
		}
		s.st.Reserved[function] = mb
	}
	if err := s.saveLocked(); err != nil {
		s.st = old
		return err
	}
	ns, name := registry.SplitKey(function)
	s.run.SetReserved(ns, name, mb)
	return nil
}

// Reserved returns the function's cap in MB and whether it has one.
func (s *Store) Reserved(function string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, ok := s.st.Reserved[function]
	return mb, ok
}

// OnChange follows the registry: a published version gets its provisioned
// instances; a deleted version or function loses its settings.
func (s *Store) OnChange(c registry.Change) {
	switch c.Kind {
	case registry.ChangePublished:
		s.mu.Lock()
		n := s.st.Provisioned[c.Function][c.Version]
		s.mu.Unlock()
		if n > 0 {
			s.provision(c.Function, c.Version, n)
		}
	case registry.ChangeVersionDeleted:
		s.forget(c.Function, c.Version)
	case registry.ChangeFunctionDeleted:
		s.forget(c.Function, "")
	}
}

// forget drops the settings of one version, or of the whole function when
// version is "". The runtime drained the instances already (Retire).
func (s *Store) forget(function, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	s.st = clone(old)
	if version != "" {
		s.setLocked(function, version, 0)
	} else {
		delete(s.st.Provisioned, function)
		if _, ok := s.st.Reserved[function]; ok {
			delete(s.st.Reserved, function)
			ns, name := registry.SplitKey(function)
			s.run.SetReserved(ns, name, -1)
		}
	}
	if err := s.saveLocked(); err != nil {
		s.log.Warn("saving capacity settings failed", "function", function, "err", err)
	}
}

func (s *Store) saveLocked() error {
	data, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(s.dir, FileName, append(data, '\n'))
}

func clone(st state) state {
	out := state{Reserved: maps.Clone(st.Reserved)}
	if st.Provisioned != nil {
		out.Provisioned = make(map[string]map[string]int, len(st.Provisioned))
		for k, v := range st.Provisioned {
			out.Provisioned[k] = maps.Clone(v)
		}
	}
	return out
}
