package logstore

import (
	"context"
	"sync/atomic"
)

// followBuffer is how many records a follower may lag behind before new
// ones are dropped for it.
const followBuffer = 256

// follower is one live tail.
type follower struct {
	q       Query
	ch      chan Record
	dropped atomic.Int64
}

// Follow streams records appended or updated after the call that match q
// (paging and order are ignored). A follower that does not keep up loses
// records rather than slowing Append: its channel holds 256 records and
// further ones are dropped until it drains. An updated async record arrives
// a second time in its finished form. The channel is closed when ctx ends or
// the store is closed. To show history first, Query and then Follow, skipping
// request ids already shown.
func (s *Store) Follow(ctx context.Context, q Query) <-chan Record {
	fl := &follower{q: q, ch: make(chan Record, followBuffer)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(fl.ch)
		return fl.ch
	}
	s.followers[fl] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
		case <-s.stop:
		}
		s.mu.Lock()
		delete(s.followers, fl)
		close(fl.ch) // under s.mu, so notify never sends on a closed channel
		s.mu.Unlock()
	}()
	return fl.ch
}

// notify offers r to every matching follower without blocking. s.mu must be held.
func (s *Store) notify(r Record) {
	for fl := range s.followers {
		if !fl.q.match(&r) {
			continue
		}
		select {
		case fl.ch <- r:
		default:
			if fl.dropped.Add(1) == 1 {
				s.log.Debug("log follower is slow; dropping records", "function", r.Function)
			}
		}
	}
}
