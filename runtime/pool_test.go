package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

func TestIdleReaping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{IdleTimeout: time.Minute})
		defer mustClose(t, m)
		spec := testSpec("f")

		if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if _, stops := rt.counts(); stops != 0 {
			t.Fatalf("stopped after 59 s idle, IdleTimeout is 1 min")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, stops := rt.counts(); stops != 1 {
			t.Fatalf("stops = %d after 61 s idle, want 1", stops)
		}
		if s := m.Stats(); len(s) != 0 {
			t.Errorf("Stats = %+v, want the empty pool forgotten", s)
		}
		res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
		if err != nil || !res.ColdStart {
			t.Errorf("Invoke after reaping = %+v, %v; want a cold start", res, err)
		}
	})
}

// TestIdleLIFO checks that with spare instances the most recently used one
// is reused, so the other idles out.
func TestIdleLIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{IdleTimeout: time.Minute})
		defer mustClose(t, m)
		spec := testSpec("f")

		a, b := invokeAsync(t.Context(), m, spec, "sleep:1s"), invokeAsync(t.Context(), m, spec, "sleep:2s")
		if (<-a).err != nil || (<-b).err != nil {
			t.Fatal("warm-up invocations failed")
		}
		// The 2 s instance was released last: every call below must take it.
		for range 6 {
			time.Sleep(30 * time.Second)
			if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		starts, stops := rt.counts()
		if starts != 2 || stops != 1 {
			t.Fatalf("starts, stops = %d, %d; want 2, 1", starts, stops)
		}
		var used, unused *fakeInstance
		for i := range 2 {
			if in := rt.instance(i); in.isStopped() {
				unused = in
			} else {
				used = in
			}
		}
		if used == nil || unused == nil || used.invocations() != 7 || unused.invocations() != 1 {
			t.Errorf("invocations: kept %d, stopped %d; want 7 and 1", used.invocations(), unused.invocations())
		}
	})
}

func TestCrash(t *testing.T) {
	t.Run("while idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)
			spec := testSpec("f")

			if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")}); err != nil {
				t.Fatal(err)
			}
			rt.instance(0).crash()
			synctest.Wait()
			if s := m.Stats(); len(s) != 0 {
				t.Errorf("Stats = %+v, want the crashed instance removed", s)
			}
			res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
			if err != nil || !res.ColdStart {
				t.Errorf("Invoke after crash = %+v, %v; want a cold start", res, err)
			}
			if starts, _ := rt.counts(); starts != 2 {
				t.Errorf("starts = %d, want 2", starts)
			}
		})
	})
	t.Run("exits while answering", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)
			spec := testSpec("f")

			if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("answer-exit")}); err != nil {
				t.Fatalf("Invoke: %v, want the answer", err)
			}
			res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
			if err != nil || !res.ColdStart {
				t.Errorf("Invoke after exit = %+v, %v; want a cold start, not the dead instance", res, err)
			}
			synctest.Wait()
			if !rt.instance(0).isStopped() {
				t.Error("exited instance not cleaned up")
			}
		})
	})
	t.Run("during invoke", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)
			spec := testSpec("f")

			ch := invokeAsync(t.Context(), m, spec, "sleep:10s")
			synctest.Wait()
			rt.instance(0).crash()
			if o := <-ch; !errors.Is(o.err, scferr.ErrProcessExit) {
				t.Fatalf("err = %v, want 439", o.err)
			}
			synctest.Wait()
			if !rt.instance(0).isStopped() {
				t.Error("crashed instance not cleaned up")
			}
			res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
			if err != nil || !res.ColdStart {
				t.Errorf("Invoke after crash = %+v, %v; want a cold start", res, err)
			}
		})
	})
}

func TestWaitAtCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{MaxInstances: 1, QueueTimeout: time.Second})
		defer mustClose(t, m)
		long := testSpec("f")
		long.TimeoutSec = 30
		short := long

		busy := invokeAsync(t.Context(), m, long, "sleep:10s")
		synctest.Wait()
		timedOut := invokeAsync(t.Context(), m, short, "1")
		ctx, cancel := context.WithCancel(t.Context())
		canceledCh := invokeAsync(ctx, m, long, "1")
		synctest.Wait()
		if s := m.Stats(); len(s) != 1 || s[0].Waiting != 2 || s[0].Busy != 1 {
			t.Errorf("Stats = %+v, want 1 busy and 2 waiting", s)
		}
		time.Sleep(500 * time.Millisecond)
		cancel()
		if o := <-canceledCh; !errors.Is(o.err, scferr.ErrRequestCanceled) {
			t.Errorf("canceled waiter: %v, want 499", o.err)
		}
		if o := <-timedOut; !errors.Is(o.err, scferr.ErrConcurrency) || !strings.Contains(o.err.Error(), "stayed busy for 1s") {
			t.Errorf("timed-out waiter: %v, want 432 after the 1 s queue timeout", o.err)
		}
		if o := <-busy; o.err != nil {
			t.Fatalf("busy call: %v", o.err)
		}
		res, err := m.Invoke(t.Context(), long, Invocation{Event: []byte("1")})
		if err != nil || res.ColdStart {
			t.Errorf("Invoke after the waiters left = %+v, %v; want warm", res, err)
		}
		if starts, _ := rt.counts(); starts != 1 {
			t.Errorf("starts = %d, want 1: waiters that left took nothing", starts)
		}
	})
}

func TestRetire(t *testing.T) {
	t.Run("busy instance finishes, then stops", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)
			spec := testSpec("f")
			spec.TimeoutSec = 30

			inFlight := invokeAsync(t.Context(), m, spec, "sleep:10s")
			synctest.Wait()
			m.Retire(func(s Spec) bool { return s.Function == "f" })
			synctest.Wait()
			old := rt.instance(0)
			if old.isStopped() {
				t.Fatal("busy instance stopped by Retire")
			}
			res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")})
			if err != nil || !res.ColdStart {
				t.Fatalf("Invoke after Retire = %+v, %v; want a cold start on a fresh pool", res, err)
			}
			if o := <-inFlight; o.err != nil {
				t.Fatalf("in-flight call: %v", o.err)
			}
			synctest.Wait()
			if !old.isStopped() || rt.instance(1).isStopped() {
				t.Errorf("old stopped = %v, new stopped = %v; want true, false", old.isStopped(), rt.instance(1).isStopped())
			}
			if s := m.Stats(); len(s) != 1 || s[0].Live != 1 {
				t.Errorf("Stats = %+v, want the fresh pool only", s)
			}
		})
	})
	t.Run("idle instances stop at once, others untouched", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			defer mustClose(t, m)
			for _, fn := range []string{"f", "g"} {
				if _, err := m.Invoke(t.Context(), testSpec(fn), Invocation{Event: []byte("1")}); err != nil {
					t.Fatal(err)
				}
			}
			if s := m.Stats(); len(s) != 2 || s[0].Spec.Function != "f" || s[1].Spec.Function != "g" {
				t.Fatalf("Stats = %+v, want f's pool then g's", s)
			}
			m.Retire(func(s Spec) bool { return s.Function == "f" })
			synctest.Wait()
			if !rt.instance(0).isStopped() || rt.instance(1).isStopped() {
				t.Errorf("f stopped = %v, g stopped = %v; want true, false", rt.instance(0).isStopped(), rt.instance(1).isStopped())
			}
			if s := m.Stats(); len(s) != 1 || s[0].Spec.Function != "g" {
				t.Errorf("Stats = %+v, want g's pool only", s)
			}
		})
	})
}

func TestClose(t *testing.T) {
	t.Run("waits for busy instances, then refuses work", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			spec := testSpec("f")
			spec.TimeoutSec = 30
			if _, err := m.Invoke(t.Context(), testSpec("idle"), Invocation{Event: []byte("1")}); err != nil {
				t.Fatal(err)
			}
			busy := invokeAsync(t.Context(), m, spec, "sleep:5s")
			synctest.Wait()

			closed := make(chan error, 1)
			go func() { closed <- m.Close(context.Background()) }()
			time.Sleep(time.Second)
			synctest.Wait()
			select {
			case err := <-closed:
				t.Fatalf("Close returned %v while a call was in flight", err)
			default:
			}
			if !rt.instance(0).isStopped() {
				t.Error("idle instance not stopped at once")
			}
			if o := <-busy; o.err != nil {
				t.Errorf("in-flight call: %v", o.err)
			}
			if err := <-closed; err != nil {
				t.Errorf("Close: %v", err)
			}
			if starts, stops := rt.counts(); stops != starts {
				t.Errorf("stops = %d, want %d", stops, starts)
			}
			if _, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("1")}); !errors.Is(err, ErrClosed) {
				t.Errorf("Invoke after Close: %v, want ErrClosed", err)
			}
			if _, err := m.Serve(t.Context(), spec, func(context.Context, string) error { return nil }); !errors.Is(err, ErrClosed) {
				t.Errorf("Serve after Close: %v, want ErrClosed", err)
			}
			if err := m.Close(t.Context()); !errors.Is(err, ErrClosed) {
				t.Errorf("second Close: %v, want ErrClosed", err)
			}
		})
	})
	t.Run("stops an instance still starting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{startDelay: 5 * time.Second}
			m := NewManager(rt, Options{MaxInstances: 1})
			starting := invokeAsync(t.Context(), m, testSpec("f"), "1")
			synctest.Wait()
			waiting := invokeAsync(t.Context(), m, testSpec("f"), "1")
			synctest.Wait()
			mustClose(t, m)
			if o := <-waiting; !errors.Is(o.err, ErrClosed) {
				t.Errorf("waiting call: %v, want ErrClosed", o.err)
			}
			if o := <-starting; !errors.Is(o.err, ErrClosed) {
				t.Errorf("starting call: %v, want ErrClosed", o.err)
			}
			if starts, stops := rt.counts(); starts != 1 || stops != 1 {
				t.Errorf("starts, stops = %d, %d; want 1, 1", starts, stops)
			}
		})
	})
	t.Run("gives up when ctx ends and stops busy instances", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rt := &fakeRuntime{}
			m := NewManager(rt, Options{})
			spec := testSpec("f")
			spec.TimeoutSec = 600
			hung := invokeAsync(t.Context(), m, spec, "hang")
			synctest.Wait()

			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Close = %v, want DeadlineExceeded", err)
			}
			if o := <-hung; !errors.Is(o.err, ErrClosed) {
				t.Errorf("hung call: %v, want ErrClosed", o.err)
			}
			synctest.Wait() // the bubble also checks every goroutine ended
			if _, stops := rt.counts(); stops != 1 {
				t.Errorf("stops = %d, want 1", stops)
			}
		})
	})
}
