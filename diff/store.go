package diff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/atomicfile"
)

// FileName is the Store's file in the state directory.
const FileName = "diff.json"

// Bounds of a Store: the oldest records and examples go first.
const (
	MaxRecords  = 20000
	MaxExamples = 500
)

// NoiseSample says whether the n-th copy (from 0) of a request to one
// endpoint also goes to the primary a second time, as a noise sample: the
// first 10 of every endpoint, then one in 10. Shadow copies and replays
// share the rule.
func NoiseSample(n int) bool { return n < 10 || n%10 == 0 }

// flushEvery is how often a changed Store is written.
const flushEvery = time.Second

// Store keeps compared requests and noise samples, bounded, and writes them
// atomically to the state directory in the background. It is safe for
// concurrent use.
type Store struct {
	dir    string
	redact Redactor
	log    *slog.Logger

	// mu guards state, dirty and seen.
	mu    sync.Mutex
	state state
	dirty bool
	// seen counts copies per function, primary and endpoint, to pick noise
	// samples; it restarts with the process.
	seen map[string]int

	cancel context.CancelFunc
	done   chan struct{}
}

// state is the Store's file.
type state struct {
	Records  []record            `json:"records"`
	Examples map[string]*Example `json:"examples"`
	// ExampleOrder is the examples' keys, oldest first, for the cap.
	ExampleOrder []string `json:"exampleOrder"`
}

// Open loads dir's store (none yet is an empty one) and starts writing it
// back as it changes, until Close. An unreadable file is reported, not
// dropped: diff results are evidence a user may want back.
func Open(dir string, redact Redactor, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, redact: redact, log: log, seen: map[string]int{}, done: make(chan struct{})}
	s.state.Examples = map[string]*Example{}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read diff results: %w", err)
	default:
		if err := json.Unmarshal(b, &s.state); err != nil {
			return nil, fmt.Errorf("read diff results %s: %w", filepath.Join(dir, FileName), err)
		}
		if s.state.Examples == nil {
			s.state.Examples = map[string]*Example{}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx)
	return s, nil
}

func (s *Store) run(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := s.Flush(); err != nil {
				s.log.Warn("writing diff results failed", "error", err)
			}
		}
	}
}

// Close stops the background writer and writes what changed.
func (s *Store) Close() error {
	s.cancel()
	<-s.done
	return s.Flush()
}

// Flush writes the store if it changed since the last write.
func (s *Store) Flush() error {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(&s.state)
	s.dirty = false
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.dir, FileName, b); err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return err
	}
	return nil
}

// WantRerun says whether a copy of a request to endpoint should also go to
// the primary a second time, as a noise sample: the first few requests of
// every endpoint, then one in ten (NoiseSample). It counts the copy.
func (s *Store) WantRerun(function, primary, endpoint string) bool {
	k := function + "\x00" + primary + "\x00" + endpoint
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.seen[k]
	s.seen[k] = n + 1
	return NoiseSample(n)
}

// Add compares a sample's answers and keeps the outcome.
func (s *Store) Add(smp Sample) {
	rec := newRecord(smp)
	var ex *Example
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Records = append(s.state.Records, rec)
	if over := len(s.state.Records) - MaxRecords; over > 0 {
		s.state.Records = slices.Delete(s.state.Records, 0, over)
	}
	for _, p := range Paths(rec.Diffs) {
		k := exampleKey(rec, p)
		if _, ok := s.state.Examples[k]; ok {
			continue
		}
		if ex == nil {
			e := s.redact.example(smp)
			ex = &e
		}
		s.state.Examples[k] = ex
		s.state.ExampleOrder = append(s.state.ExampleOrder, k)
	}
	for len(s.state.ExampleOrder) > MaxExamples {
		delete(s.state.Examples, s.state.ExampleOrder[0])
		s.state.ExampleOrder = s.state.ExampleOrder[1:]
	}
	s.dirty = true
}

// newRecord compares a sample's answers, and its noise sample's.
func newRecord(smp Sample) record {
	rec := record{Time: smp.Time, Function: smp.Function, Alias: smp.Alias, Primary: smp.Primary,
		Candidate: smp.Candidate, Endpoint: smp.Endpoint, Diffs: Compare(smp.PrimaryAnswer, smp.CandidateAnswer)}
	if smp.Rerun != nil {
		rec.Rerun = true
		rec.Noise = Paths(Compare(smp.PrimaryAnswer, *smp.Rerun))
	}
	return rec
}

func exampleKey(r record, path string) string {
	return r.Function + "\x00" + r.Alias + "\x00" + r.Primary + "\x00" + r.Candidate + "\x00" + r.Endpoint + "\x00" + path
}

// Reset forgets function's records and examples (all functions for "").
func (s *Store) Reset(function string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Records = slices.DeleteFunc(s.state.Records, func(r record) bool { return function == "" || r.Function == function })
	order := s.state.ExampleOrder[:0]
	for _, k := range s.state.ExampleOrder {
		if function == "" || keyFunction(k) == function {
			delete(s.state.Examples, k)
			continue
		}
		order = append(order, k)
	}
	s.state.ExampleOrder = order
	s.dirty = true
}

func keyFunction(k string) string {
	for i := range len(k) {
		if k[i] == 0 {
			return k[:i]
		}
	}
	return k
}
