package docker

import (
	"context"
	"errors"
	"testing"
	"time"
)

// claimTestDocker is a runtime with only its spare bookkeeping, and a spare
// of key being made, as replenish leaves it.
func claimTestDocker(key string) (*Docker, *makingSpare) {
	d := &Docker{spares: spareSet{idle: map[string][]*spare{}, making: map[string][]*makingSpare{}}}
	m := &makingSpare{done: make(chan struct{})}
	d.spares.making[key] = []*makingSpare{m}
	d.spares.count = 1
	return d, m
}

func fakeSpare() *spare { return &spare{c: &container{name: "spare", exited: make(chan struct{})}} }

// takeAsync runs takeSpare in the background and waits until it claimed m.
func takeAsync(t *testing.T, ctx context.Context, d *Docker, key string, m *makingSpare) <-chan *spare {
	t.Helper()
	got := make(chan *spare, 1)
	go func() { got <- d.takeSpare(ctx, key) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.spares.mu.Lock()
		claimed := m.claimed
		d.spares.mu.Unlock()
		if claimed {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatal("the start never claimed the spare being made")
		}
		time.Sleep(time.Millisecond)
	}
}

// receive returns what a takeSpare in the background returned, failing when
// it is still waiting after a bound no correct run comes near.
func receive(t *testing.T, got <-chan *spare, what string) *spare {
	t.Helper()
	select {
	case sp := <-got:
		return sp
	case <-time.After(10 * time.Second):
		t.Fatalf("%s is still waiting", what)
		return nil
	}
}

func TestTakeSpareClaimsASpareBeingMade(t *testing.T) {
	const key = "k"
	t.Run("a second start does not queue behind the spare the first waits for", func(t *testing.T) {
		d, m := claimTestDocker(key)
		first := takeAsync(t, t.Context(), d, key, m)
		second := make(chan *spare, 1)
		go func() { second <- d.takeSpare(t.Context(), key) }()
		if sp := receive(t, second, "the second start, with the only spare being made claimed,"); sp != nil {
			t.Fatal("the second start got a spare")
		}
		sp := fakeSpare()
		if !d.spares.finishMaking(key, m, sp, nil) {
			t.Fatal("the made spare was not kept")
		}
		if got := receive(t, first, "the first start"); got != sp {
			t.Fatalf("the claimer got %v, want the spare it waited for", got)
		}
		if n, c := len(d.spares.idle[key]), d.spares.count; n != 0 || c != 0 {
			t.Errorf("idle %d, count %d after the hand-over, want 0 and 0", n, c)
		}
	})
	t.Run("a claimer that leaves lets the spare go idle", func(t *testing.T) {
		d, m := claimTestDocker(key)
		ctx, cancel := context.WithCancel(t.Context())
		first := takeAsync(t, ctx, d, key, m)
		cancel()
		if sp := receive(t, first, "the start whose ctx ended"); sp != nil {
			t.Fatal("a start whose ctx ended got a spare")
		}
		sp := fakeSpare()
		d.spares.finishMaking(key, m, sp, nil)
		if idle := d.spares.idle[key]; len(idle) != 1 || idle[0] != sp || d.spares.count != 1 {
			t.Fatalf("idle %v, count %d, want the spare idle and counted", idle, d.spares.count)
		}
		if got := d.takeSpare(t.Context(), key); got != sp {
			t.Fatalf("the next start got %v, want the idle spare", got)
		}
	})
	t.Run("the claimer of a spare that failed starts its own", func(t *testing.T) {
		d, m := claimTestDocker(key)
		first := takeAsync(t, t.Context(), d, key, m)
		if d.spares.finishMaking(key, m, nil, errors.New("daemon said no")) {
			t.Fatal("a failed spare was kept")
		}
		if sp := receive(t, first, "the claimer"); sp != nil {
			t.Fatal("the claimer got a spare that failed")
		}
		if len(d.spares.making) != 0 || d.spares.count != 0 {
			t.Errorf("making %v, count %d, want none", d.spares.making, d.spares.count)
		}
	})
}
