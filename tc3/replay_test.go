package tc3

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestReplay(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	until := t0.Add(5 * time.Minute)
	first := func(r *Replay) { _ = r.Check("s1", "POST / GetFunction", "10.0.0.5", until, t0) }
	cases := []struct {
		name           string
		action, client string
		now            time.Time
		wantErr        bool
	}{
		{"same action, same client (an SDK retry)", "POST / GetFunction", "10.0.0.5", t0.Add(time.Minute), false},
		// The SDK signs GetFunction and ListVersionByFunction of the same
		// body in the same second identically.
		{"another action, same client", "POST / ListVersionByFunction", "10.0.0.5", t0.Add(time.Second), false},
		{"another action, another client (a replay)", "POST / DeleteFunction", "10.0.0.66", t0.Add(time.Minute), true},
		{"same action, another client (a replay)", "POST / GetFunction", "10.0.0.66", t0.Add(time.Minute), true},
		// The timestamp check refuses it by then; the entry is gone.
		{"after expiry", "POST / DeleteFunction", "10.0.0.66", until.Add(time.Second), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReplay(0)
			first(r)
			err := r.Check("s1", tc.action, tc.client, tc.now.Add(5*time.Minute), tc.now)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrSignature)) {
				t.Errorf("err = %v, want error %v wrapping ErrSignature", err, tc.wantErr)
			}
		})
	}
}

// TestReplayBounded: memory stays at the cap however many signatures come,
// expired ones go first, and the newest are always remembered.
func TestReplayBounded(t *testing.T) {
	r := NewReplay(100)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 1000 {
		now := t0.Add(time.Duration(i) * time.Second)
		if err := r.Check(fmt.Sprint("sig", i), "a", "c", now.Add(5*time.Minute), now); err != nil {
			t.Fatal(err)
		}
		if r.Len() > 100 {
			t.Fatalf("after %d signatures Len = %d, want <= 100", i+1, r.Len())
		}
	}
	now := t0.Add(999 * time.Second)
	if err := r.Check("sig999", "b", "other", now.Add(5*time.Minute), now); err == nil {
		t.Error("the newest signature was forgotten: reuse from another client passed")
	}
	// 400 s later everything has expired: the next check empties the memory.
	later := now.Add(400 * time.Second)
	_ = r.Check("fresh", "a", "c", later.Add(5*time.Minute), later)
	if r.Len() != 1 {
		t.Errorf("Len after expiry = %d, want 1", r.Len())
	}
}

// TestVerifierReplay: with a Replay, Verify binds a signature to the client
// that first used it.
func TestVerifierReplay(t *testing.T) {
	v := verifier(time.Unix(goldenTS+30, 0))
	v.Replay = NewReplay(0)
	req := goldenRequest()
	req.Action, req.Client = "POST / GetFunction", "127.0.0.1"
	if err := v.Verify(req); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(req); err != nil {
		t.Errorf("the same call again: %v", err)
	}
	req.Action, req.Client = "POST / DeleteFunction", "192.0.2.9"
	if err := v.Verify(req); !errors.Is(err, ErrSignature) {
		t.Errorf("the signature from another client as another action: %v, want ErrSignature", err)
	}
}
