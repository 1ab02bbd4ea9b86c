package runtime

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

func TestProvisionedKeptWarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{MaxInstances: 4, IdleTimeout: time.Minute})
		defer mustClose(t, m)
		spec := testSpec("f")
		if err := m.Provision(t.Context(), spec, 2); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if starts, _ := rt.counts(); starts != 2 {
			t.Fatalf("starts after Provision(2) = %d, want 2", starts)
		}
		// Three at once: two on the provisioned instances (warm), one on-demand.
		a, b, c := invokeAsync(t.Context(), m, spec, "sleep:1s"), invokeAsync(t.Context(), m, spec, "sleep:1s"), invokeAsync(t.Context(), m, spec, "sleep:1s")
		cold := 0
		for _, ch := range []<-chan outcome{a, b, c} {
			o := <-ch
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.ColdStart {
				cold++
			}
		}
		if cold != 1 {
			t.Errorf("cold starts among 3 requests on 2 provisioned = %d, want 1", cold)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		st := m.Stats()
		if starts, stops := rt.counts(); starts != 3 || stops != 1 || len(st) != 1 || st[0].Live != 2 || st[0].Provisioned != 2 {
			t.Errorf("after 10 min idle: starts %d, stops %d, stats %+v; want the on-demand one reaped and 2 provisioned live", starts, stops, st)
		}
		// A provisioned instance that dies is replaced. Which of the three
		// the reaper stopped is the pool's choice: crash one still live.
		live := -1
		for i := range 3 {
			if !rt.instance(i).isStopped() {
				live = i
				break
			}
		}
		if live < 0 {
			t.Fatal("no live instance left to crash")
		}
		rt.instance(live).crash()
		synctest.Wait()
		if starts, _ := rt.counts(); starts != 4 {
			t.Errorf("starts after a provisioned instance crashed = %d, want 4 (replaced)", starts)
		}
		// Back to on-demand: both idle out.
		if err := m.Provision(t.Context(), spec, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if s := m.Stats(); len(s) != 0 {
			t.Errorf("Stats after Provision(0) and 2 min idle = %+v, want none", s)
		}
	})
}

func TestReservedConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &fakeRuntime{}
		m := NewManager(rt, Options{MaxInstances: 8})
		defer mustClose(t, m)
		v1, v2 := testSpec("f"), testSpec("f")
		v1.MemoryMB, v2.MemoryMB, v2.Version = 128, 128, "2"
		other := testSpec("g")
		other.MemoryMB = 128
		m.SetReserved("default", "f", 256)

		a, b := invokeAsync(t.Context(), m, v1, "sleep:1s"), invokeAsync(t.Context(), m, v2, "sleep:1s")
		synctest.Wait()
		_, err := m.Invoke(t.Context(), v1, Invocation{Event: []byte("x")})
		if scferr.Status(err) != 432 {
			t.Errorf("third request over 256 MB reserved across versions: %v, want 432", err)
		}
		if _, err := m.Invoke(t.Context(), other, Invocation{Event: []byte("x")}); err != nil {
			t.Errorf("another function is not capped: %v", err)
		}
		if (<-a).err != nil || (<-b).err != nil {
			t.Fatal("requests under the cap failed")
		}
		if _, err := m.Invoke(t.Context(), v1, Invocation{Event: []byte("x")}); err != nil {
			t.Errorf("request after the others finished: %v", err)
		}
		m.SetReserved("default", "f", 0)
		if _, err := m.Invoke(t.Context(), v1, Invocation{Event: []byte("x")}); scferr.Status(err) != 432 {
			t.Errorf("reserved 0: %v, want 432", err)
		}
		m.SetReserved("default", "f", -1)
		if _, err := m.Invoke(t.Context(), v1, Invocation{Event: []byte("x")}); err != nil {
			t.Errorf("cap removed: %v", err)
		}
	})
}
