package docker

import (
	"context"
	"slices"
)

// makingSpare is a spare container being made. At most one Start waits for
// it (claims it) and gets it the moment it is made; a Start that finds
// every spare being made claimed starts its own container at once. Without
// claims, every Start of a function waited for the oldest spare being made
// and all but one lost it to the others: under a slow daemon (seconds per
// container) the replacements of crashed instances each queued behind one
// spare creation after another, and that wait ran down their start timeout.
type makingSpare struct {
	done     chan struct{} // closed once finished is set
	claimed  bool          // guarded by spareSet.mu: a Start waits for it
	finished bool          // guarded by spareSet.mu: made or failed; sp is final
	sp       *spare        // guarded by spareSet.mu: the claimer's spare once finished; nil when not made or not claimed
}

// takeSpare removes and returns an idle spare for key. When none is idle
// it claims a spare being made that no other Start waits for and waits for
// it: what is left of its start is less than a new one. It returns nil when
// there is none to wait for, the one it waited for failed, or ctx ended.
func (d *Docker) takeSpare(ctx context.Context, key string) *spare {
	s := &d.spares
	s.mu.Lock()
	for len(s.idle[key]) > 0 {
		sp := s.idle[key][0]
		s.idle[key] = s.idle[key][1:]
		s.count--
		select {
		case <-sp.c.Done():
			// Its waiter died while idle.
			s.mu.Unlock()
			d.dropSpare(sp)
			s.mu.Lock()
		default:
			s.mu.Unlock()
			return sp
		}
	}
	i := slices.IndexFunc(s.making[key], func(m *makingSpare) bool { return !m.claimed })
	if i < 0 {
		s.mu.Unlock()
		return nil
	}
	m := s.making[key][i]
	m.claimed = true
	s.mu.Unlock()

	select {
	case <-m.done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	if !m.finished {
		m.claimed = false // its maker files it as idle
		s.mu.Unlock()
		return nil
	}
	sp := m.sp
	s.mu.Unlock()
	if sp == nil {
		return nil
	}
	if ctx.Err() != nil {
		d.fileIdle(key, sp) // made as ctx ended: the next Start's
		return nil
	}
	select {
	case <-sp.c.Done():
		d.dropSpare(sp)
		return nil
	default:
		return sp
	}
}

// finishMaking ends m, one of key's spares being made: sp (nil when err) goes
// to m's claimer, else it is filed as idle. It reports whether sp was kept;
// the caller drops it when not.
func (s *spareSet) finishMaking(key string, m *makingSpare, sp *spare, err error) bool {
	s.mu.Lock()
	s.making[key] = slices.DeleteFunc(s.making[key], func(o *makingSpare) bool { return o == m })
	if len(s.making[key]) == 0 {
		delete(s.making, key)
	}
	m.finished = true
	kept := err == nil && !s.closed
	switch {
	case !kept:
		s.count--
	case m.claimed:
		m.sp = sp
		s.count-- // taken: no longer one of the spares
	default:
		s.idle[key] = append(s.idle[key], sp)
	}
	s.mu.Unlock()
	close(m.done)
	return kept
}

// fileIdle gives back a spare handed to a Start that left meanwhile, unless
// the runtime is closing or has its spares already.
func (d *Docker) fileIdle(key string, sp *spare) {
	s := &d.spares
	s.mu.Lock()
	keep := !s.closed && s.count < maxSpares
	if keep {
		s.idle[key] = append(s.idle[key], sp)
		s.count++
	}
	s.mu.Unlock()
	if !keep {
		d.dropSpare(sp)
	}
}
