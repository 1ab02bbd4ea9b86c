package runtime

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// prewarmAsync runs one Prewarm in a goroutine; its error arrives on the channel.
func prewarmAsync(ctx context.Context, m *Manager, spec Spec) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- m.Prewarm(ctx, spec) }()
	return ch
}

// A request that arrives while a pre-warm starts an instance takes that
// instance: a hot reload must not start two containers that compete.
func TestPrewarmStartIsClaimedByARequest(t *testing.T) {
	tests := []struct {
		name      string
		failNext  int
		cancelReq bool // the request leaves while the start runs
		wantErr   int  // scferr status of the request; 0 = success
		wantWarm  bool // a later request finds the instance idle
	}{
		{name: "request takes the pre-warmed instance", wantWarm: true},
		{name: "a failed start fails both", failNext: 1, wantErr: 445},
		{name: "request leaves, instance goes idle", cancelReq: true, wantErr: 499, wantWarm: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &fakeRuntime{startDelay: 300 * time.Millisecond, failNext: tc.failNext}
				m := NewManager(rt, Options{})
				defer mustClose(t, m)
				spec := testSpec("f")

				pw := prewarmAsync(t.Context(), m, spec)
				time.Sleep(100 * time.Millisecond) // the pre-warm start is under way
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				req := invokeAsync(ctx, m, spec, "x")
				if tc.cancelReq {
					time.Sleep(50 * time.Millisecond)
					cancel()
				}
				got := <-req
				pwErr := <-pw
				synctest.Wait()

				if status := scferr.Status(got.err); (tc.wantErr == 0 && got.err != nil) || (tc.wantErr != 0 && status != tc.wantErr) {
					t.Fatalf("request: %v (status %d), want status %d", got.err, status, tc.wantErr)
				}
				if tc.wantErr == 0 && !got.res.ColdStart {
					t.Errorf("request ColdStart = false, want true: it waited for the start")
				}
				if (tc.failNext > 0) != (pwErr != nil) {
					t.Errorf("Prewarm: %v, want an error only when the start failed", pwErr)
				}
				rt.mu.Lock()
				calls := rt.startCalls
				rt.mu.Unlock()
				if calls != 1 {
					t.Errorf("Start called %d times, want 1", calls)
				}
				if !tc.wantWarm {
					return
				}
				res, err := m.Invoke(t.Context(), spec, Invocation{Event: []byte("y")})
				if err != nil || res.ColdStart {
					t.Errorf("later request = %+v, %v; want a warm call", res, err)
				}
			})
		})
	}
}

// Prewarm does not add a start to a pool whose instance a request is
// already starting, and ends with ctx while the start goes on.
func TestPrewarmWhileStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{startDelay: 300 * time.Millisecond}
		m := NewManager(rt, Options{})
		defer mustClose(t, m)
		spec := testSpec("f")

		req := invokeAsync(t.Context(), m, spec, "x")
		synctest.Wait()
		if err := m.Prewarm(t.Context(), spec); err != nil {
			t.Errorf("Prewarm while a request starts: %v", err)
		}
		if got := <-req; got.err != nil {
			t.Fatal(got.err)
		}

		other := testSpec("g")
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := m.Prewarm(ctx, other); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Prewarm past its ctx: %v, want the deadline", err)
		}
		time.Sleep(time.Second)
		res, err := m.Invoke(t.Context(), other, Invocation{Event: []byte("y")})
		if err != nil || res.ColdStart {
			t.Errorf("request after an abandoned pre-warm = %+v, %v; want a warm call", res, err)
		}
		if starts, _ := rt.counts(); starts != 2 {
			t.Errorf("starts = %d, want 2 (one per pool)", starts)
		}
	})
}
