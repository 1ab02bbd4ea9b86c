package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fakeNotifier stands in for fsnotify inside a synctest bubble, where the
// clock is fake and the test decides which events arrive when.
type fakeNotifier struct {
	events chan fsnotify.Event
	errs   chan error
	once   sync.Once

	mu      sync.Mutex // guards added and removed
	added   []string
	removed []string
}

func newFake() *fakeNotifier {
	return &fakeNotifier{events: make(chan fsnotify.Event), errs: make(chan error)}
}

func (f *fakeNotifier) Add(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, p)
	return nil
}

func (f *fakeNotifier) Remove(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, p)
	return nil
}

func (f *fakeNotifier) Close() error {
	f.once.Do(func() { close(f.events); close(f.errs) })
	return nil
}

// calls records Func calls with their fake time offsets.
type calls struct {
	start  time.Time
	mu     sync.Mutex // guards at and names
	at     []time.Duration
	names  []string
	active atomic.Int32 // calls running now, to catch overlap
}

func (c *calls) record(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = append(c.at, time.Since(c.start))
	c.names = append(c.names, name)
}

func (c *calls) snapshot() ([]string, []time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.names), slices.Clone(c.at)
}

// harness is a Watcher on a fake notifier, stopped when the test ends.
type harness struct {
	w    *Watcher
	fake *fakeNotifier
	dir  string // holds one folder per name
	ran  chan error
}

func (h *harness) write(name, file string) {
	h.fake.events <- fsnotify.Event{Name: filepath.Join(h.dir, name, file), Op: fsnotify.Write}
}

func mkdirs(t *testing.T, base string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(base, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

func TestDebounceBurstGivesOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
		h := startHarnessDirs(t, fn, nil, "B")
		for i := 0; i < 20; i++ {
			h.write("B", "index.py")
			time.Sleep(10 * time.Millisecond)
		}
		// The last write was at 190 ms; the quiet period ends at 290 ms.
		time.Sleep(89 * time.Millisecond)
		synctest.Wait()
		if names, _ := c.snapshot(); len(names) != 0 {
			t.Fatalf("calls before the quiet period ended: %v", names)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		names, at := c.snapshot()
		if !slices.Equal(names, []string{"B"}) || at[0] != 290*time.Millisecond {
			t.Errorf("calls = %v at %v, want [B] at [290ms]", names, at)
		}
	})
}

// TestRemovalWaitsTheLongQuietPeriod: rm -r unlinks a file, then removes
// its folders, and on a busy machine the two can be tens of milliseconds
// apart; a removal is not an editor's save, so it waits the long period
// and the whole removal gives one call.
func TestRemovalWaitsTheLongQuietPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
		h := startHarnessDirs(t, fn, nil, "B")
		h.fake.events <- fsnotify.Event{Name: filepath.Join(h.dir, "B", "z", "f"), Op: fsnotify.Remove}
		time.Sleep(45 * time.Millisecond)
		h.fake.events <- fsnotify.Event{Name: filepath.Join(h.dir, "B", "z"), Op: fsnotify.Remove}
		time.Sleep(time.Second)
		synctest.Wait()
		names, at := c.snapshot()
		if !slices.Equal(names, []string{"B"}) || at[0] != 145*time.Millisecond {
			t.Errorf("calls = %v at %v, want [B] at [145ms] (the long quiet period after the last removal)", names, at)
		}
	})
}

// startHarnessDirs creates the named folders first, as Add needs them.
func startHarnessDirs(t *testing.T, fn Func, log *slog.Logger, names ...string) *harness {
	t.Helper()
	base := t.TempDir()
	mkdirs(t, base, names...)
	return startHarnessIn(t, base, fn, log, names...)
}

func startHarnessIn(t *testing.T, base string, fn Func, log *slog.Logger, names ...string) *harness {
	t.Helper()
	fake := newFake()
	w := newWatcher(fn, Options{Logger: log}, fake, fake.events, fake.errs)
	h := &harness{w: w, fake: fake, dir: base, ran: make(chan error, 1)}
	for _, n := range names {
		if err := w.Add(n, filepath.Join(base, n)); err != nil {
			t.Fatal(err)
		}
	}
	go func() { h.ran <- w.Run(t.Context()) }()
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-h.ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func TestChangesDuringCallGiveExactlyOneMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		release := make(chan struct{})
		var n atomic.Int32
		fn := func(ctx context.Context, name string) ([]string, error) {
			if c.active.Add(1) > 1 {
				t.Error("Func ran twice at once for one name")
			}
			defer c.active.Add(-1)
			c.record(name)
			if n.Add(1) == 1 {
				<-release
			}
			return nil, nil
		}
		h := startHarnessDirs(t, fn, nil, "B")
		h.write("B", "index.py")
		time.Sleep(150 * time.Millisecond) // call 1 starts at 15 ms (one event: a quick burst) and blocks
		for i := 0; i < 5; i++ {
			h.write("B", "index.py")
			time.Sleep(20 * time.Millisecond)
		}
		// Last write at 230 ms; call 1 returns at 400 ms, after the quiet
		// period, so call 2 starts at once.
		time.Sleep(150 * time.Millisecond)
		close(release)
		time.Sleep(time.Second)
		synctest.Wait()
		names, at := c.snapshot()
		want := []time.Duration{15 * time.Millisecond, 400 * time.Millisecond}
		if len(names) != 2 || !slices.Equal(at, want) {
			t.Errorf("calls at %v, want exactly %v", at, want)
		}
	})
}

func TestOwnWritesDoNotTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		var h *harness
		var n atomic.Int32
		fn := func(ctx context.Context, name string) ([]string, error) {
			c.record(name)
			// The first build writes its output while the call runs.
			if n.Add(1) == 1 {
				h.write("B", "dist/bundle.js")
			}
			return []string{"dist", filepath.Join(h.dir, "B", "main")}, nil
		}
		h = startHarnessDirs(t, fn, nil, "B")
		h.write("B", "index.js")
		time.Sleep(time.Second)
		h.write("B", "dist/other.js")
		h.write("B", "main")
		time.Sleep(time.Second)
		synctest.Wait()
		if names, at := c.snapshot(); len(names) != 1 {
			t.Fatalf("calls at %v, want exactly one: the build's own writes must not trigger", at)
		}
		h.write("B", "index.js")
		time.Sleep(time.Second)
		synctest.Wait()
		if names, _ := c.snapshot(); len(names) != 2 {
			t.Errorf("got %d calls, want 2: a source change still triggers", len(names))
		}
	})
}

func TestErrorIsLoggedAndWatchingGoesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf lockedBuffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		var n atomic.Int32
		fn := func(ctx context.Context, name string) ([]string, error) {
			if n.Add(1) == 1 {
				return nil, errors.New("build failed: exit status 2")
			}
			panic("handler bug")
		}
		h := startHarnessDirs(t, fn, log, "B")
		h.write("B", "index.py")
		time.Sleep(time.Second)
		h.write("B", "index.py")
		time.Sleep(time.Second)
		h.write("B", "index.py")
		time.Sleep(time.Second)
		synctest.Wait()
		if got := n.Load(); got != 3 {
			t.Errorf("Func called %d times, want 3 (errors and panics must not stop watching)", got)
		}
		out := buf.String()
		for _, want := range []string{"hot reload failed", "function=B", "build failed: exit status 2", "reload panicked: handler bug"} {
			if !bytes.Contains([]byte(out), []byte(want)) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestNamesAreIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
		h := startHarnessDirs(t, fn, nil, "A", "B")
		h.write("A", "x")
		time.Sleep(50 * time.Millisecond)
		h.write("B", "y")
		time.Sleep(time.Second)
		synctest.Wait()
		names, at := c.snapshot()
		if !slices.Equal(names, []string{"A", "B"}) || !slices.Equal(at, []time.Duration{15 * time.Millisecond, 65 * time.Millisecond}) {
			t.Errorf("calls %v at %v, want [A B] at [15ms 65ms]", names, at)
		}
	})
}

// TestQuietPeriodAdapts checks that a save (a few events) settles after
// the short quiet period and a bigger burst after the long one, counted
// from the burst's last event.
func TestQuietPeriodAdapts(t *testing.T) {
	tests := []struct {
		name   string
		events int
		want   time.Duration
	}{
		{"one event", 1, 15 * time.Millisecond},
		{"an editor's save", quickBurst, time.Duration(quickBurst-1)*time.Millisecond + 15*time.Millisecond},
		{"one event more than a save", quickBurst + 1, time.Duration(quickBurst)*time.Millisecond + 100*time.Millisecond},
		{"a checkout", 40, 39*time.Millisecond + 100*time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := &calls{start: time.Now()}
				fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
				h := startHarnessDirs(t, fn, nil, "B")
				for i := range tc.events {
					if i > 0 {
						time.Sleep(time.Millisecond)
					}
					h.write("B", fmt.Sprintf("f%d.py", i))
				}
				time.Sleep(time.Second)
				synctest.Wait()
				names, at := c.snapshot()
				if len(names) != 1 || at[0] != tc.want {
					t.Errorf("calls %v at %v, want one at %v", names, at, tc.want)
				}
			})
		})
	}
}

func TestOverflowReloadsEveryName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
		h := startHarnessDirs(t, fn, nil, "A", "B")
		h.fake.errs <- fsnotify.ErrEventOverflow
		time.Sleep(time.Second)
		synctest.Wait()
		names, _ := c.snapshot()
		slices.Sort(names)
		if !slices.Equal(names, []string{"A", "B"}) {
			t.Errorf("calls after overflow = %v, want [A B]", names)
		}
	})
}

func TestRemoveStopsCallsAndUnwatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &calls{start: time.Now()}
		fn := func(ctx context.Context, name string) ([]string, error) { c.record(name); return nil, nil }
		base := t.TempDir()
		mkdirs(t, base, "A", "B", "B/sub")
		h := startHarnessIn(t, base, fn, nil, "A", "B")
		if err := h.w.Remove("B"); err != nil {
			t.Fatal(err)
		}
		if err := h.w.Remove("B"); !errors.Is(err, ErrNotWatched) {
			t.Errorf("second Remove = %v, want ErrNotWatched", err)
		}
		h.write("B", "x")
		time.Sleep(time.Second)
		synctest.Wait()
		if names, _ := c.snapshot(); len(names) != 0 {
			t.Errorf("calls after Remove = %v, want none", names)
		}
		h.fake.mu.Lock()
		removed := slices.Sorted(slices.Values(h.fake.removed))
		h.fake.mu.Unlock()
		want := []string{filepath.Join(base, "B"), filepath.Join(base, "B", "sub")}
		if !slices.Equal(removed, want) {
			t.Errorf("unwatched %v, want %v", removed, want)
		}
	})
}

func TestCloseCancelsRunningCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		cancelled := make(chan struct{})
		fn := func(ctx context.Context, name string) ([]string, error) {
			n.Add(1)
			<-ctx.Done()
			close(cancelled)
			return nil, ctx.Err()
		}
		base := t.TempDir()
		mkdirs(t, base, "B")
		fake := newFake()
		w := newWatcher(fn, Options{}, fake, fake.events, fake.errs)
		if err := w.Add("B", filepath.Join(base, "B")); err != nil {
			t.Fatal(err)
		}
		ran := make(chan error, 1)
		go func() { ran <- w.Run(t.Context()) }()
		fake.events <- fsnotify.Event{Name: filepath.Join(base, "B", "x"), Op: fsnotify.Write}
		time.Sleep(200 * time.Millisecond)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-cancelled:
		default:
			t.Error("Close returned while a call was still running")
		}
		if err := <-ran; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if err := w.Add("C", base); !errors.Is(err, ErrClosed) {
			t.Errorf("Add after Close = %v, want ErrClosed", err)
		}
		if err := w.Run(t.Context()); !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close = %v, want ErrClosed", err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("Func called %d times, want 1", got)
		}
		// synctest.Test fails if any goroutine of the bubble is left.
	})
}

// lockedBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
