package logstore

// ring is one function's newest records in append order, bounded by count
// and by estimated bytes. It is a queue over a slice that is compacted when
// half of it is dead, so pushes are amortised O(1) and iteration is a plain
// slice walk. The Store's mutex guards it.
type ring struct {
	recs     []Record // live records are recs[start:]
	start    int
	bytes    int64
	maxN     int
	maxBytes int64
}

func (g *ring) len() int { return len(g.recs) - g.start }

// live returns the records, oldest first. The slice aliases the ring.
func (g *ring) live() []Record { return g.recs[g.start:] }

func (g *ring) push(r Record) {
	sz := r.size()
	for g.len() > 0 && (g.len() >= g.maxN || g.bytes+sz > g.maxBytes) {
		g.pop()
	}
	if g.start > 0 && g.start >= len(g.recs)/2 {
		n := copy(g.recs, g.recs[g.start:])
		clear(g.recs[n:])
		g.recs, g.start = g.recs[:n], 0
	}
	g.recs = append(g.recs, r)
	g.bytes += sz
}

func (g *ring) pop() {
	g.bytes -= g.recs[g.start].size()
	g.recs[g.start] = Record{} // let the strings go
	g.start++
}

// replace swaps in r for the record with the same request id, searching from
// the newest (an async completion is usually recent). It reports whether one
// was found.
func (g *ring) replace(r Record) bool {
	live := g.live()
	for i := len(live) - 1; i >= 0; i-- {
		if live[i].RequestID == r.RequestID {
			g.bytes += r.size() - live[i].size()
			live[i] = r
			for g.len() > 1 && g.bytes > g.maxBytes {
				g.pop()
			}
			return true
		}
	}
	return false
}
