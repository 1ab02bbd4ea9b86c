package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestAsyncRetries(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name      string
		pol       AsyncPolicy
		failFirst int // attempts that fail before success
		wantAt    []time.Duration
		status    string
		dead      bool
	}{
		{"ok first time", DefaultAsyncPolicy(), 0, []time.Duration{0}, StatusFinished, false},
		{"ok on second retry", DefaultAsyncPolicy(), 2, []time.Duration{0, time.Second, 3 * time.Second}, StatusFinished, false},
		{"fails all, default 2 retries", DefaultAsyncPolicy(), 9, []time.Duration{0, time.Second, 3 * time.Second}, StatusFailed, true},
		{"no retries", AsyncPolicy{RetryNum: 0, MsgTTL: time.Hour}, 9, []time.Duration{0}, StatusFailed, true},
		{"TTL stops retries", AsyncPolicy{RetryNum: 2, MsgTTL: 70 * time.Second, RetryDelay: 40 * time.Second},
			9, []time.Duration{0, 40 * time.Second}, StatusFailed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := NewAsync(nil)
				defer a.Close()
				t0 := time.Now()
				var at []time.Duration
				var dead []AsyncEvent
				a.Submit(AsyncEvent{RequestID: "r1", Function: "f", Qualifier: "$DEFAULT", InvokeType: "timer"}, c.pol,
					func(_ context.Context, retry int) (int, error) {
						at = append(at, time.Since(t0))
						if retry != len(at)-1 {
							t.Errorf("retry %d on attempt %d", retry, len(at))
						}
						if len(at) <= c.failFirst {
							return 433, boom
						}
						return 200, nil
					}, func(_ context.Context, ev AsyncEvent) { dead = append(dead, ev) })
				if ev, _ := a.Get("r1"); ev.Status != StatusRunning && len(c.wantAt) > 1 {
					t.Fatalf("status at start %s", ev.Status)
				}
				time.Sleep(2 * time.Hour)
				synctest.Wait()
				if !slices.Equal(at, c.wantAt) {
					t.Fatalf("attempts at %v, want %v", at, c.wantAt)
				}
				ev, ok := a.Get("r1")
				if !ok || ev.Status != c.status || ev.Retries != len(c.wantAt)-1 || ev.EndTime.IsZero() {
					t.Fatalf("event %+v", ev)
				}
				if (len(dead) == 1) != c.dead || (c.dead && (dead[0].Err != "boom" || dead[0].StatusCode != 433)) {
					t.Fatalf("dead letters %+v", dead)
				}
			})
		})
	}
}

func TestAsyncTerminate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := NewAsync(nil)
		defer a.Close()
		attempts := 0
		a.Submit(AsyncEvent{RequestID: "r1", Function: "f"}, DefaultAsyncPolicy(), func(ctx context.Context, _ int) (int, error) {
			attempts++
			<-ctx.Done() // a hanging function
			return 0, ctx.Err()
		}, nil)
		synctest.Wait()
		if err := a.Terminate("g", "r1"); !errors.Is(err, ErrEventNotFound) {
			t.Fatalf("other function: %v", err)
		}
		if err := a.Terminate("f", "r1"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if ev, _ := a.Get("r1"); ev.Status != StatusAborted || attempts != 1 {
			t.Fatalf("event %+v after %d attempts", ev, attempts)
		}
		if err := a.Terminate("f", "r1"); !errors.Is(err, ErrEventDone) {
			t.Fatalf("second terminate: %v", err)
		}
	})
}

func TestAsyncListAndBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := NewAsync(nil)
		defer a.Close()
		ok := func(context.Context, int) (int, error) { return 200, nil }
		for i := range MaxAsyncEvents + 5 {
			a.Submit(AsyncEvent{RequestID: fmt.Sprint(i), Function: "f"}, DefaultAsyncPolicy(), ok, nil)
			synctest.Wait()
		}
		all := a.List(nil)
		if len(all) != MaxAsyncEvents || all[0].RequestID != fmt.Sprint(MaxAsyncEvents+4) {
			t.Fatalf("%d events, newest %s", len(all), all[0].RequestID)
		}
		if _, ok := a.Get("0"); ok {
			t.Fatal("oldest event kept")
		}
		odd := a.List(func(ev AsyncEvent) bool { return ev.RequestID == "7" })
		if len(odd) != 1 {
			t.Fatalf("filtered %v", odd)
		}
	})
}

func TestAsyncPolicyCheck(t *testing.T) {
	for _, c := range []struct {
		p  AsyncPolicy
		ok bool
	}{
		{DefaultAsyncPolicy(), true},
		{AsyncPolicy{RetryNum: 0, MsgTTL: MinMsgTTL}, true},
		{AsyncPolicy{RetryNum: 3, MsgTTL: time.Hour}, false},
		{AsyncPolicy{RetryNum: -1, MsgTTL: time.Hour}, false},
		{AsyncPolicy{RetryNum: 1, MsgTTL: 59 * time.Second}, false},
		{AsyncPolicy{RetryNum: 1, MsgTTL: MaxMsgTTL + time.Second}, false},
	} {
		if err := c.p.Check(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.p, err)
		}
	}
}
