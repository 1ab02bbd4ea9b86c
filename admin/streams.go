package admin

import (
	"errors"
	"fmt"
	"net/http"
)

// The admin listener takes a bounded number of connections (256; more wait
// to be accepted), and a stream (logs -f, requests -f, rollout watch, the
// dashboard following logs) holds one for as long as its client wants. So
// that streams can never take every connection and lock out short
// requests (the cloud API, every `emulator` command), they get a smaller
// share of their own: beyond it a new stream is answered at once with 503
// and Retry-After, and the connections left over stay for everything else.

// DefaultMaxStreams is ServerOptions.MaxStreams' zero value: a quarter of
// the admin listener's 256 connections.
const DefaultMaxStreams = 64

// streamRetryAfter is the Retry-After of a refused stream, in seconds.
const streamRetryAfter = "5"

// ErrStreams: every stream slot is taken; the request may be retried.
var ErrStreams = errors.New("too many open streams")

// streams counts the open streams against their share.
type streams struct {
	slots chan struct{} // one element per open stream; its capacity is the share
}

func newStreams(max int) *streams {
	if max <= 0 {
		max = DefaultMaxStreams
	}
	return &streams{slots: make(chan struct{}, max)}
}

// open takes a slot for the stream r starts, or refuses it with ErrStreams,
// a Retry-After header set on w. release gives the slot back.
func (s *streams) open(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	default:
	}
	w.Header().Set("Retry-After", streamRetryAfter)
	return nil, fmt.Errorf("%w: %d streams (log follow, rollout watch) are open, the most the admin address keeps for them so that "+
		"other requests always get in; close one (a `logs -f` or dashboard tab) or retry in %s s: %s %s",
		ErrStreams, cap(s.slots), streamRetryAfter, r.Method, r.URL.Path)
}
