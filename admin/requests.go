package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/reqlog"
)

// Requests is the gateway's request recorder; *reqlog.Recorder is one.
type Requests interface {
	Recent(q reqlog.Query) []reqlog.Line
	Follow(ctx context.Context, function string) <-chan reqlog.Line
}

// requests answers GET /emulator/requests?function=B[&since=10m][&limit=N]
// [&follow=1] with the function's recorded gateway requests, oldest first,
// as JSON lines `emulator replay` reads; follow keeps streaming new ones.
func (s *Server) requests(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Requests == nil {
		return kinded{errors.New("this emulator records no requests (emulator up --record-requests 0)"), ErrNotFound}
	}
	fn, err := s.function(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rq := reqlog.Query{Function: fn}
	if v := q.Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return badRequest("since must be a positive duration such as 10m")
		}
		rq.Since = time.Now().Add(-d)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("limit must be a positive integer")
		}
		rq.Limit = n
	}
	var live <-chan reqlog.Line
	if q.Get("follow") == "1" {
		release, err := s.streams.open(w, r)
		if err != nil {
			return err
		}
		defer release()
		live = s.opts.Requests.Follow(r.Context(), fn) // before the history, so nothing falls in between
	}
	recent := s.opts.Requests.Recent(rq)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	var last time.Time
	for _, l := range recent {
		_ = enc.Encode(l)
		last = l.Time
	}
	flush(w)
	if live == nil {
		return nil
	}
	for {
		select {
		case l, ok := <-live:
			if !ok {
				return nil
			}
			if !l.Time.After(last) && len(recent) > 0 && seenLine(recent, l) {
				continue
			}
			if err := enc.Encode(l); err != nil {
				return nil
			}
			flush(w)
		case <-s.closing: // shutdown must not wait for a follower to hang up
			return nil
		}
	}
}

// seenLine reports whether a followed line was already sent with the
// history: recorded at the same moment as one of it, on the same path.
func seenLine(recent []reqlog.Line, l reqlog.Line) bool {
	for i := len(recent) - 1; i >= 0 && !recent[i].Time.Before(l.Time); i-- {
		if recent[i].Time.Equal(l.Time) && recent[i].Path == l.Path && recent[i].Method == l.Method {
			return true
		}
	}
	return false
}
