package trigger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ErrLoop is wrapped by the LoopReport error of a stopped chain of writes.
var ErrLoop = errors.New("cos trigger loop")

// Bucket defaults.
const (
	DefaultSettle         = 50 * time.Millisecond
	DefaultMaxGenerations = 8
	DefaultLoopGrace      = 50 * time.Millisecond
	DefaultRegion         = "ap-guangzhou"
	DefaultAppID          = "1250000000"
)

// BucketOptions configure a Bucket. Zero values take the defaults above.
type BucketOptions struct {
	Name   string // bucket name, such as photos-1250000000; default the folder name
	Region string
	AppID  string
	// Settle is how long a key must be quiet before its change is sent, so
	// a file written in several steps fires once.
	Settle time.Duration
	// MaxGenerations bounds a chain of writes: a write made while (or within
	// LoopGrace after) a function subscribed to this bucket runs for an
	// event of generation g is of generation g+1; one beyond
	// MaxGenerations is dropped and reported to OnLoop.
	MaxGenerations int
	LoopGrace      time.Duration
	OnLoop         func(LoopReport)
	Log            *slog.Logger
}

// LoopReport says a chain of writes was stopped.
type LoopReport struct {
	Bucket     string
	Key        string
	Functions  []string // the functions running when the write was made
	Generation int
	Err        error
}

// COSSub is one COS trigger on a bucket. Deliver invokes the function and
// returns once the invocation (with its retries) has ended, so the bucket
// knows when writes can no longer be the function's.
type COSSub struct {
	ID       string // function/trigger
	Function string
	Filter   COSFilter
	Deliver  func(ctx context.Context, ev COSEvent) error
}

// Bucket turns a local folder into a COS bucket: files created, changed or
// deleted under it (at any depth) become cos:ObjectCreated:Put and
// cos:ObjectRemove:Delete records for the subscriptions whose filters match.
type Bucket struct {
	dir   string
	opts  BucketOptions
	fsn   *fsnotify.Watcher
	reqID atomic.Int64
	wg    sync.WaitGroup // deliveries in flight

	mu      sync.Mutex // guards subs, pending and runs
	subs    map[string]COSSub
	pending map[string]*change // by key
	runs    map[string]*run    // by function
}

type change struct {
	removed bool
	gen     int
	running []string
	due     time.Time
}

// run tracks the invocations of one function for this bucket's events.
type run struct {
	active int
	gen    int       // the highest generation among them
	until  time.Time // when no longer active: the end of the grace
}

// NewBucket watches dir, which must be a folder.
func NewBucket(dir string, opts BucketOptions) (*Bucket, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("bucket folder %s: not a folder (%v)", dir, err)
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(abs)
	}
	opts.Region = cmpOr(opts.Region, DefaultRegion)
	opts.AppID = cmpOr(opts.AppID, DefaultAppID)
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.MaxGenerations <= 0 {
		opts.MaxGenerations = DefaultMaxGenerations
	}
	if opts.LoopGrace <= 0 {
		opts.LoopGrace = DefaultLoopGrace
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	fsn, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	b := &Bucket{dir: abs, opts: opts, fsn: fsn, subs: map[string]COSSub{}, pending: map[string]*change{}, runs: map[string]*run{}}
	if err := b.addTree(abs); err != nil {
		_ = fsn.Close()
		return nil, err
	}
	return b, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Dir returns the bucket's folder.
func (b *Bucket) Dir() string { return b.dir }

// Subscribe adds or replaces subscription s.
func (b *Bucket) Subscribe(s COSSub) {
	b.mu.Lock()
	b.subs[s.ID] = s
	b.mu.Unlock()
}

// Unsubscribe removes subscription id and reports how many are left.
func (b *Bucket) Unsubscribe(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, id)
	return len(b.subs)
}

func (b *Bucket) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		return b.fsn.Add(p)
	})
}

// Run sends changes until ctx ends, then waits for deliveries in flight.
func (b *Bucket) Run(ctx context.Context) error {
	defer b.wg.Wait()
	tick := time.NewTicker(b.opts.Settle / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-b.fsn.Events:
			if !ok {
				return nil
			}
			b.note(ev)
		case err, ok := <-b.fsn.Errors:
			if !ok {
				return nil
			}
			b.opts.Log.Warn("bucket watch error", "bucket", b.opts.Name, "err", err)
		case <-tick.C:
			b.flush(ctx)
		}
	}
}

// Close stops watching; Run returns.
func (b *Bucket) Close() error { return b.fsn.Close() }

// note records a file system event as a pending change of its key,
// stamped with the generation of the write.
func (b *Bucket) note(ev fsnotify.Event) {
	key, ok := b.key(ev.Name)
	if !ok {
		return
	}
	if ev.Has(fsnotify.Create) {
		if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
			b.addNewTree(ev.Name)
			return
		}
	}
	if ev.Op == fsnotify.Chmod {
		return
	}
	b.pend(key, ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename))
}

// addNewTree watches a folder created in the bucket and files the objects
// already in it, which were written before the watch could see them.
func (b *Bucket) addNewTree(dir string) {
	_ = b.addTree(dir)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if key, ok := b.key(p); ok {
				b.pend(key, false)
			}
		}
		return nil
	})
}

// pend files a change of key, due once it has settled.
func (b *Bucket) pend(key string, removed bool) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	gen, running := b.generationLocked(now)
	c, ok := b.pending[key]
	if !ok {
		c = &change{}
		b.pending[key] = c
	}
	c.removed = removed
	if gen > c.gen {
		c.gen, c.running = gen, running
	}
	c.due = now.Add(b.opts.Settle)
}

// generationLocked is the generation of a write made now.
func (b *Bucket) generationLocked(now time.Time) (int, []string) {
	gen := 0
	var running []string
	for fn, r := range b.runs {
		if r.active > 0 || now.Before(r.until) {
			gen = max(gen, r.gen+1)
			running = append(running, fn)
		}
	}
	return gen, running
}

func (b *Bucket) key(path string) (string, bool) {
	rel, err := filepath.Rel(b.dir, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// flush sends the changes whose keys have settled.
func (b *Bucket) flush(ctx context.Context) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, c := range b.pending {
		if now.Before(c.due) {
			continue
		}
		delete(b.pending, key)
		b.sendLocked(ctx, key, c, now)
	}
}

func (b *Bucket) sendLocked(ctx context.Context, key string, c *change, now time.Time) {
	name, size := COSRemoveDelete, int64(0)
	st, err := os.Stat(filepath.Join(b.dir, filepath.FromSlash(key)))
	switch {
	case err == nil && st.IsDir():
		return
	case err == nil:
		name, size = COSCreatedPut, st.Size()
	case !c.removed:
		return // created and gone again before it settled
	}
	if c.gen > b.opts.MaxGenerations {
		rep := LoopReport{Bucket: b.opts.Name, Key: key, Functions: c.running, Generation: c.gen,
			Err: fmt.Errorf("%w: %s on %s/%s was written by %s while handling an event of this bucket, %d generations deep; the event is dropped (a function writing into its own trigger bucket would run forever)",
				ErrLoop, name, b.opts.Name, key, strings.Join(c.running, ", "), c.gen)}
		b.opts.Log.Warn("cos trigger loop stopped", "bucket", b.opts.Name, "key", key, "functions", c.running, "generation", c.gen)
		if b.opts.OnLoop != nil {
			b.opts.OnLoop(rep)
		}
		return
	}
	rec := NewCOSRecord(COSChange{Event: name, Bucket: b.opts.Name, Region: b.opts.Region, AppID: b.opts.AppID,
		Key: key, Size: size, Time: now, ReqID: b.reqID.Add(1)})
	for _, s := range b.subs {
		if !s.Filter.Match(name, key) {
			continue
		}
		r := b.runs[s.Function]
		if r == nil {
			r = &run{}
			b.runs[s.Function] = r
		}
		if r.active == 0 && now.After(r.until) {
			r.gen = 0
		}
		r.active++
		r.gen = max(r.gen, c.gen)
		b.wg.Go(func() {
			if err := s.Deliver(ctx, COSEvent{Records: []COSRecord{rec}}); err != nil {
				b.opts.Log.Debug("cos delivery failed", "trigger", s.ID, "key", key, "err", err)
			}
			b.mu.Lock()
			r.active--
			r.until = time.Now().Add(b.opts.LoopGrace)
			b.mu.Unlock()
		})
	}
}
