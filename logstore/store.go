package logstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Sentinels callers branch on.
var (
	// ErrClosed is returned by Append and Update after Close.
	ErrClosed = errors.New("log store is closed")
	// ErrInvalidRecord means a record lacks the fields that identify it.
	ErrInvalidRecord = errors.New("invalid log record")
	// ErrInvalidFilter is wrapped by ParseStatusFilter for an unknown RetCode filter.
	ErrInvalidFilter = errors.New("invalid status filter")
)

// Defaults for the zero values in Options.
const (
	DefaultMaxBytesPerFunction   = 8 << 20
	DefaultMaxRecordsPerFunction = 2000
	DefaultMaxLogBytes           = 16 << 10
	DefaultMaxRetMsgBytes        = 4 << 10
	// maxPendingBytes bounds what waits for the disk writer; beyond it the
	// oldest waiting records are dropped from disk (they stay in memory).
	maxPendingBytes = 32 << 20
)

// Options configures a Store. The zero value is a memory-only store with the
// default bounds.
type Options struct {
	// Dir holds two JSON-lines files per function, <name>.jsonl.1 and
	// <name>.jsonl, the previous and the current segment (a directory of
	// earlier versions, with only the latter, loads as it is; one with the
	// previous segment named <name>.1.jsonl is renamed); "" keeps
	// records in memory only.
	Dir string
	// MaxBytesPerFunction bounds each function's files together and its
	// in-memory ring; 0 means 8 MB. When the current segment would pass
	// half of it, it replaces the previous one and a new one starts, so the
	// newest half at least is always kept.
	MaxBytesPerFunction int64
	// MaxRecordsPerFunction bounds each function's in-memory ring; 0 means 2000.
	MaxRecordsPerFunction int
	// MaxLogBytes and MaxRetMsgBytes bound each record's Log and RetMsg (head
	// and tail kept); 0 means 16 KB and 4 KB. Values under 256 are raised to 256.
	MaxLogBytes, MaxRetMsgBytes int
	// FlushInterval is the least time between two disk writes, so a busy
	// function costs one write per interval rather than one per request; 0
	// means 100 ms. Close and Flush write at once.
	FlushInterval time.Duration
	// Logger receives disk errors and skipped lines; nil discards.
	Logger *slog.Logger
	// Now stamps records that arrive without a StartTime; nil means time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.MaxBytesPerFunction <= 0 {
		o.MaxBytesPerFunction = DefaultMaxBytesPerFunction
	}
	if o.MaxRecordsPerFunction <= 0 {
		o.MaxRecordsPerFunction = DefaultMaxRecordsPerFunction
	}
	if o.MaxLogBytes <= 0 {
		o.MaxLogBytes = DefaultMaxLogBytes
	}
	if o.MaxRetMsgBytes <= 0 {
		o.MaxRetMsgBytes = DefaultMaxRetMsgBytes
	}
	o.MaxLogBytes = max(o.MaxLogBytes, 256)
	o.MaxRetMsgBytes = max(o.MaxRetMsgBytes, 256)
	if o.FlushInterval <= 0 {
		o.FlushInterval = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// fnKey identifies one function's ring and file.
type fnKey struct{ namespace, function string }

// Store holds invocation records. It is safe for concurrent use.
type Store struct {
	opts Options
	log  *slog.Logger

	mu sync.Mutex // guards rings, pending, pendingBytes, forgotten, forgotAt, followers, closed
	// rings holds each function's newest records in append order.
	rings map[fnKey]*ring
	// pending holds records not yet handed to the disk writer.
	pending      []Record
	pendingBytes int64
	// forgotten holds the functions whose files the writer is to remove.
	forgotten []fnKey
	// forgotAt is when each function was last forgotten (deleted): a
	// record that started before it belongs to the deleted function, a
	// call that was in flight, and is dropped (see put). One entry per
	// function name forgotten while the store is open.
	forgotAt  map[fnKey]time.Time
	followers map[*follower]struct{}
	closed    bool

	wake    chan struct{}      // nudges the writer; capacity 1
	flushes chan chan struct{} // Flush requests, answered once written
	stop    chan struct{}      // closed by Close
	wg      sync.WaitGroup     // the writer and the follower goroutines
	disk    *disk              // nil for a memory-only store; owned by the writer goroutine
}

// Open loads the newest records of every function file in opts.Dir (at most
// MaxBytesPerFunction from the end of each) and starts the disk writer.
func Open(opts Options) (*Store, error) {
	opts.setDefaults()
	s := &Store{
		opts:      opts,
		log:       opts.Logger,
		rings:     make(map[fnKey]*ring),
		forgotAt:  make(map[fnKey]time.Time),
		followers: make(map[*follower]struct{}),
		wake:      make(chan struct{}, 1),
		flushes:   make(chan chan struct{}),
		stop:      make(chan struct{}),
	}
	if opts.Dir != "" {
		d, err := openDisk(opts.Dir, opts.MaxBytesPerFunction, opts.Logger)
		if err != nil {
			return nil, err
		}
		loaded, err := d.load()
		if err != nil {
			return nil, err
		}
		for _, r := range loaded {
			s.ringFor(fnKey{r.Namespace, r.Function}).push(r)
		}
		s.disk = d
	}
	s.wg.Add(1)
	go s.writeLoop()
	return s, nil
}

// Append records one invocation. It only touches memory: the record goes
// into its function's ring, to live followers, and onto the queue of the
// disk writer goroutine.
func (s *Store) Append(r Record) error {
	return s.put(r, false)
}

// Update replaces the record with r.RequestID (typically a Running async
// invocation that has now finished) or appends r when that record is gone.
// Followers receive the new record.
func (s *Store) Update(r Record) error {
	return s.put(r, true)
}

func (s *Store) put(r Record, replace bool) error {
	if r.Function == "" || r.RequestID == "" {
		return fmt.Errorf("record %q of function %q needs both a request id and a function: %w", r.RequestID, r.Function, ErrInvalidRecord)
	}
	s.normalise(&r)
	k := fnKey{r.Namespace, r.Function}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if at, ok := s.forgotAt[k]; ok && r.StartTime.Before(at) {
		// A call in flight when its function was deleted: its record
		// would start a log of the deleted function, or land in that of
		// a function created again under the name, whose calls all start
		// after the Forget.
		return nil
	}
	rg := s.ringFor(k)
	if !replace || !rg.replace(r) {
		rg.push(r)
	}
	if s.disk != nil {
		s.enqueue(r)
	}
	s.notify(r)
	return nil
}

func (s *Store) normalise(r *Record) {
	if r.Namespace == "" {
		r.Namespace = "default"
	}
	if r.StartTime.IsZero() {
		r.StartTime = s.opts.Now()
	}
	if r.BillDuration == 0 && !r.Running {
		r.BillDuration = BillDuration(r.Duration)
	}
	r.Log = Truncate(r.Log, s.opts.MaxLogBytes)
	r.RetMsg = Truncate(r.RetMsg, s.opts.MaxRetMsgBytes)
}

// ringFor returns the ring of k, creating it. s.mu must be held (or s not yet shared).
func (s *Store) ringFor(k fnKey) *ring {
	rg := s.rings[k]
	if rg == nil {
		rg = &ring{maxN: s.opts.MaxRecordsPerFunction, maxBytes: s.opts.MaxBytesPerFunction}
		s.rings[k] = rg
	}
	return rg
}

// enqueue hands r to the writer, dropping the oldest waiting records when the
// writer has fallen far behind. s.mu must be held.
func (s *Store) enqueue(r Record) {
	s.pending = append(s.pending, r)
	s.pendingBytes += r.size()
	if s.pendingBytes > maxPendingBytes {
		// Drop the older half at once: amortised O(1), and the slice keeps
		// its capacity for the batches to come.
		n := len(s.pending) / 2
		for i := range n {
			s.pendingBytes -= s.pending[i].size()
		}
		m := copy(s.pending, s.pending[n:])
		clear(s.pending[m:])
		s.pending = s.pending[:m]
		s.log.Warn("log writer is behind; records dropped from disk (kept in memory)", "dropped", n)
	}
	s.nudge()
}

// nudge wakes the writer. s.mu must be held.
func (s *Store) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Forget drops the records of function (as in Record.Function: the
// registry key) in namespace ("" is default): from memory at once, from
// disk with the writer's next write, which Flush waits for. It is for a
// deleted function, whose logs go with it. A record that arrives
// afterwards but started before (a call in flight at the deletion) is
// dropped; one that started after, of a function created again under the
// name, starts a new log.
func (s *Store) Forget(namespace, function string) error {
	k := fnKey{cmp.Or(namespace, "default"), function}
	now := s.opts.Now() // the clock put's records are stamped with
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.forgotAt[k] = now
	delete(s.rings, k)
	if s.disk == nil {
		return nil
	}
	kept := s.pending[:0]
	for _, r := range s.pending {
		if r.Namespace == k.namespace && r.Function == k.function {
			s.pendingBytes -= r.size()
			continue
		}
		kept = append(kept, r)
	}
	clear(s.pending[len(kept):])
	s.pending = kept
	s.forgotten = append(s.forgotten, k)
	s.nudge()
	return nil
}

// Functions returns the functions (namespace, registry key) the store
// holds records of, in no order.
func (s *Store) Functions() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	fns := make([][2]string, 0, len(s.rings))
	for k := range s.rings {
		fns = append(fns, [2]string{k.namespace, k.function})
	}
	return fns
}

// Flush returns once every record appended before the call is written to
// disk, or when ctx ends.
func (s *Store) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case s.flushes <- done:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is pending, stops the writer and ends every Follow
// channel. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	if s.disk != nil {
		return s.disk.close()
	}
	return nil
}

// writeLoop is the only goroutine that touches the files. After each write
// it rests for FlushInterval, letting records pile up into one batch, unless
// Flush or Close asks for them sooner.
func (s *Store) writeLoop() {
	defer s.wg.Done()
	var spare []Record
	write := func() {
		s.mu.Lock()
		batch, forgotten := s.pending, s.forgotten
		s.pending, s.pendingBytes, s.forgotten = spare[:0], 0, nil
		s.mu.Unlock()
		// Files first: the batch holds only records appended after Forget.
		for _, k := range forgotten {
			if err := s.disk.remove(k); err != nil {
				s.log.Error("remove log files", "function", k.function, "namespace", k.namespace, "err", err)
			}
		}
		if s.disk != nil && len(batch) > 0 {
			s.disk.write(batch)
		}
		clear(batch)
		spare = batch
		if cap(spare) > 4096 { // a flood's batch: let it go
			spare = nil
		}
	}
	rest := time.NewTimer(0)
	defer rest.Stop()
	resting := true
	for {
		wake := s.wake
		if resting {
			wake = nil // records wait in pending until the rest is over
		}
		select {
		case <-rest.C:
			resting = false
			continue
		case <-wake:
		case done := <-s.flushes:
			write()
			close(done)
			continue
		case <-s.stop:
			write()
			return
		}
		write()
		rest.Reset(s.opts.FlushInterval)
		resting = true
	}
}
