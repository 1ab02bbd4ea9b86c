package runtime

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

func testSpec(function string) Spec {
	return Spec{Namespace: "default", Function: function, Version: "1", CodeHash: "abc123", Type: "event", TimeoutSec: 3}
}

type outcome struct {
	res Result
	err error
}

// invokeAsync runs one Invoke in a goroutine; the result arrives on the channel.
func invokeAsync(ctx context.Context, m *Manager, spec Spec, event string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		res, err := m.Invoke(ctx, spec, Invocation{RequestID: "r", Event: []byte(event)})
		ch <- outcome{res, err}
	}()
	return ch
}

func mustClose(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestInvokeWarmReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{startDelay: 200 * time.Millisecond}
		m := NewManager(rt, Options{})
		defer mustClose(t, m)
		spec := testSpec("f")

		tests := []struct {
			name     string
			wantCold bool
			wantInit time.Duration
		}{
			{"first call starts", true, 200 * time.Millisecond},
			{"second call is warm", false, 0},
			{"third call is warm", false, 0},
		}
		// t.Run is not allowed inside a synctest bubble: the cases run in sequence.
		for _, tc := range tests {
			res, err := m.Invoke(t.Context(), spec, Invocation{RequestID: "r", Event: []byte(`{"k":1}`)})
			if err != nil {
				t.Fatalf("%s: Invoke: %v", tc.name, err)
			}
			if string(res.Payload) != `{"k":1}` {
				t.Errorf("%s: payload = %s, want the echoed event", tc.name, res.Payload)
			}
			if res.ColdStart != tc.wantCold || res.InitDuration != tc.wantInit {
				t.Errorf("%s: ColdStart, InitDuration = %v, %v; want %v, %v", tc.name, res.ColdStart, res.InitDuration, tc.wantCold, tc.wantInit)
			}
		}
		if starts, _ := rt.counts(); starts != 1 {
			t.Errorf("starts = %d, want 1", starts)
		}
		stats := m.Stats()
		if len(stats) != 1 || stats[0].Live != 1 || stats[0].Busy != 0 || stats[0].Spec.Key() != spec.Key() {
			t.Errorf("Stats = %+v, want one pool with 1 live idle instance", stats)
		}
	})
}

func TestInvokeScaleOut(t *testing.T) {
	tests := []struct {
		name        string
		max         int
		wantStarts  int
		wantRunning int
	}{
		{"capped at 4", 4, 4, 4},
		{"scales to 20", 20, 20, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &fakeRuntime{startDelay: 10 * time.Millisecond}
				m := NewManager(rt, Options{MaxInstances: tc.max})
				defer mustClose(t, m)
				spec := testSpec("slow")
				spec.TimeoutSec = 30

				var chans []<-chan outcome
				for range 20 {
					chans = append(chans, invokeAsync(t.Context(), m, spec, "sleep:1s"))
				}
				synctest.Wait()
				if s := m.Stats(); len(s) != 1 || s[0].Live+s[0].Starting > tc.max {
					t.Errorf("Stats during the burst = %+v, want at most %d instances", s, tc.max)
				}
				for i, ch := range chans {
					if o := <-ch; o.err != nil {
						t.Errorf("call %d: %v", i, o.err)
					}
				}
				rt.mu.Lock()
				defer rt.mu.Unlock()
				if rt.starts != tc.wantStarts || rt.maxLive > tc.max {
					t.Errorf("starts = %d, max live = %d; want %d starts, at most %d live", rt.starts, rt.maxLive, tc.wantStarts, tc.max)
				}
				if rt.maxRunning != tc.wantRunning {
					t.Errorf("max concurrent invocations = %d, want %d", rt.maxRunning, tc.wantRunning)
				}
				if rt.overlap {
					t.Error("an instance was invoked concurrently")
				}
			})
		})
	}
}

// TestInvokeScaleOutRealTime runs the burst on the real scheduler, where
// starts and invocations truly overlap.
func TestInvokeScaleOutRealTime(t *testing.T) {
	rt := &fakeRuntime{startDelay: 5 * time.Millisecond}
	m := NewManager(rt, Options{MaxInstances: 20})
	defer mustClose(t, m)
	spec := testSpec("slow")
	spec.TimeoutSec = 10

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("sleep:50ms")}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Invoke: %v", err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.maxRunning <= 1 {
		t.Errorf("max concurrent invocations = %d, want > 1: requests queued behind one instance", rt.maxRunning)
	}
	if rt.starts > 20 || rt.overlap {
		t.Errorf("starts = %d (want <= 20), overlap = %v", rt.starts, rt.overlap)
	}
}

func TestInvokeErrors(t *testing.T) {
	tests := []struct {
		name       string
		timeoutSec int
		event      string
		wantStatus int
		wantText   string // exact err.Error() when set
		wantLog    string
		wantStop   bool // the instance is discarded
	}{
		{"timeout", 1, "hang", 433, "invoking task timed out after 1 seconds", "started\n", true},
		{"default timeout is 3 s", 0, "hang", 433, "invoking task timed out after 3 seconds", "started\n", true},
		{"process exit", 3, "exit", 439, "", "bye\n", true},
		{"user error keeps the instance", 3, "fail", 430, "", "boom\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &fakeRuntime{}
				m := NewManager(rt, Options{})
				defer mustClose(t, m)
				spec := testSpec("f")
				spec.TimeoutSec = tc.timeoutSec

				res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte(tc.event)})
				if got := scferr.Status(err); got != tc.wantStatus {
					t.Fatalf("status = %d (%v), want %d", got, err, tc.wantStatus)
				}
				if tc.wantText != "" && err.Error() != tc.wantText {
					t.Errorf("error = %q, want %q", err.Error(), tc.wantText)
				}
				if res.Log != tc.wantLog || !res.ColdStart {
					t.Errorf("Log, ColdStart = %q, %v; want %q, true", res.Log, res.ColdStart, tc.wantLog)
				}
				synctest.Wait()
				if got := rt.instance(0).isStopped(); got != tc.wantStop {
					t.Errorf("instance stopped = %v, want %v", got, tc.wantStop)
				}

				res, err = m.Invoke(t.Context(), spec, Invocation{Event: []byte(`"next"`)})
				if err != nil {
					t.Fatalf("next Invoke: %v", err)
				}
				if res.ColdStart != tc.wantStop {
					t.Errorf("next ColdStart = %v, want %v", res.ColdStart, tc.wantStop)
				}
			})
		})
	}
}

// TestInvokeCallerCanceled: a caller that leaves gets a 499 whose message
// names why when the caller's context says (a rollout hook stopped by an
// abort): the message is what the invocation's log record shows.
func TestInvokeCallerCanceled(t *testing.T) {
	tests := []struct {
		name    string
		cause   error
		wantMsg string
	}{
		{"no cause", nil, "request canceled"},
		{"a cause", errors.New("rollout r-1 aborted: bad numbers"), "request canceled: rollout r-1 aborted: bad numbers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &fakeRuntime{}
				m := NewManager(rt, Options{})
				defer mustClose(t, m)

				ctx, cancel := context.WithCancelCause(t.Context())
				ch := invokeAsync(ctx, m, testSpec("f"), "hang")
				time.Sleep(500 * time.Millisecond)
				cancel(tc.cause)
				o := <-ch
				if !errors.Is(o.err, scferr.ErrRequestCanceled) || !errors.Is(o.err, context.Canceled) {
					t.Errorf("err = %v, want a 499 error caused by context.Canceled", o.err)
				}
				if got := scferr.As(o.err).Message; got != tc.wantMsg {
					t.Errorf("message = %q, want %q", got, tc.wantMsg)
				}
				synctest.Wait()
				if !rt.instance(0).isStopped() {
					t.Error("instance of a canceled invocation kept warm")
				}
			})
		})
	}
}

func TestInvokeStartFailure(t *testing.T) {
	t.Run("fails the request, next one retries", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{failNext: 1}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)

			_, err := m.Invoke(t.Context(), testSpec("f"), Invocation{Event: []byte("1")})
			if scferr.Status(err) != 445 || !strings.Contains(err.Error(), "ImportError") {
				t.Fatalf("err = %v, want the runtime's 445 error with its output", err)
			}
			res, err := m.Invoke(t.Context(), testSpec("f"), Invocation{Event: []byte("1")})
			if err != nil || !res.ColdStart {
				t.Fatalf("second Invoke = %+v, %v; want a cold success", res, err)
			}
		})
	})
	t.Run("fails only the request that needed it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{failNext: 1, startDelay: 100 * time.Millisecond}
			m := NewManager(rt, Options{MaxInstances: 1})
			defer mustClose(t, m)

			a := invokeAsync(t.Context(), m, testSpec("f"), "1")
			synctest.Wait() // a is starting; b must wait at the cap
			b := invokeAsync(t.Context(), m, testSpec("f"), "2")
			oa, ob := <-a, <-b
			if scferr.Status(oa.err) != 445 {
				t.Errorf("first request: %v, want 445", oa.err)
			}
			if ob.err != nil || !ob.res.ColdStart {
				t.Errorf("second request: %+v, %v; want a cold success", ob.res, ob.err)
			}
		})
	})
	t.Run("start timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{startDelay: time.Minute}
			m := NewManager(rt, Options{StartTimeout: 10 * time.Second})
			defer mustClose(t, m)

			_, err := m.Invoke(t.Context(), testSpec("f"), Invocation{Event: []byte("1")})
			if !errors.Is(err, scferr.ErrContainerInit) || !strings.Contains(err.Error(), "not ready after 10s") {
				t.Errorf("err = %v, want a 445 start timeout", err)
			}
			if s := m.Stats(); len(s) != 0 {
				t.Errorf("Stats = %+v, want the empty pool forgotten", s)
			}
		})
	})
}

func TestServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{})
		defer mustClose(t, m)
		spec := testSpec("web")
		spec.Type, spec.TimeoutSec = "http", 1

		var addrs []string
		for i := range 2 {
			cold, err := m.Serve(t.Context(), spec, func(ctx context.Context, addr string) error {
				addrs = append(addrs, addr)
				return nil
			})
			if err != nil || cold != (i == 0) {
				t.Fatalf("Serve %d: cold = %v, err = %v", i, cold, err)
			}
		}
		if addrs[0] != "127.0.0.1:9001" || addrs[1] != addrs[0] {
			t.Errorf("addrs = %v, want the same warm instance twice", addrs)
		}

		_, err := m.Serve(t.Context(), spec, func(ctx context.Context, addr string) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if err == nil || err.Error() != "invoking task timed out after 1 seconds" {
			t.Errorf("err = %v, want the 433 timeout", err)
		}
		synctest.Wait()
		if !rt.instance(0).isStopped() {
			t.Error("instance of a timed-out Serve kept warm")
		}
	})
}

func BenchmarkInvokeWarm(b *testing.B) {
	rt := &fakeRuntime{}
	m := NewManager(rt, Options{})
	defer m.Close(context.Background())
	spec := testSpec("bench")
	inv := Invocation{RequestID: "r", Event: []byte(`{"hello":"world"}`)}
	ctx := context.Background()
	if _, err := m.Invoke(ctx, spec, inv); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Invoke(ctx, spec, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPrewarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{})
		defer mustClose(t, m)
		spec := testSpec("f")
		if err := m.Prewarm(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		if err := m.Prewarm(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		if starts, _ := rt.counts(); starts != 1 {
			t.Errorf("starts after two Prewarm calls = %d, want 1", starts)
		}
		res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
		if err != nil || res.ColdStart {
			t.Errorf("Invoke after Prewarm = %+v, %v; want a warm call", res, err)
		}
	})
}
