package tc3

import (
	"fmt"
	"sync"
	"time"
)

// DefaultReplayEntries bounds the signatures a Replay remembers. An entry is
// about 200 bytes, so the default holds at most ~13 MB; only signatures that
// verified are remembered, so filling it takes the secret key.
const DefaultReplayEntries = 1 << 16

// Replay remembers which client address first used each recent signature,
// and for which action. The SDKs sign only content-type and host, so without
// it a signature captured on the network for one call (GetFunction) stays
// valid for any other call with the same body (DeleteFunction) from anywhere
// until its timestamp expires.
//
// A signature is bound to the address that first used it, not to the action
// alone: the SDK signs two calls with the same body in the same second
// identically (GetFunction and ListVersionByFunction of {"FunctionName":"B"}),
// so a client's own quick calls cannot be told from a replay by the bytes.
// From its first address a signature passes again (that is also how the SDKs
// retry); from any other address it is refused. Whoever captures a signature
// on a shared network replays it from their own address.
type Replay struct {
	mu    sync.Mutex // guards seen and order
	seen  map[string]seenSig
	order []string // keys of seen, oldest first: eviction order
	max   int
}

type seenSig struct {
	action, client string
	until          time.Time // past this the timestamp check refuses the signature anyway
}

// NewReplay returns a Replay that remembers at most maxEntries signatures;
// 0 means DefaultReplayEntries.
func NewReplay(maxEntries int) *Replay {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayEntries
	}
	return &Replay{seen: make(map[string]seenSig), max: maxEntries}
}

// Check records that signature sig, valid until until, was used by client
// (its address) for action, and refuses it (ErrSignature) when another
// client used it first.
func (r *Replay) Check(sig, action, client string, until, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.seen[sig]; ok && now.Before(prev.until) {
		if prev.client == client {
			return nil
		}
		what := "the same action"
		if prev.action != action {
			what = "another action"
		}
		return fmt.Errorf("%w: this signature was already used by another client, for %s; sign each call afresh", ErrSignature, what)
	}
	r.evict(now)
	if _, ok := r.seen[sig]; !ok {
		r.order = append(r.order, sig)
	}
	r.seen[sig] = seenSig{action: action, client: client, until: until}
	return nil
}

// evict drops expired entries from the front and, when full, the oldest
// entries even if still valid: they can only be replayed by whoever holds
// the key that signed them.
func (r *Replay) evict(now time.Time) {
	for len(r.order) > 0 {
		k := r.order[0]
		if e := r.seen[k]; now.Before(e.until) && len(r.seen) < r.max {
			return
		}
		delete(r.seen, k)
		r.order = r.order[1:]
	}
}

// Len is how many signatures are remembered.
func (r *Replay) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}
