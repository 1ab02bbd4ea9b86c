package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/replay"
)

// Diffs reports the compared answers of shadow copies in diff mode and
// replays recorded requests; *diff.Store answers Report, *replay.Replayer
// Replay.
type Diffs interface {
	Report(q diff.Query) diff.Report
	// Replay sends recorded requests to a stage with two versions and
	// compares their answers: one report per function.
	Replay(ctx context.Context, req ReplayRequest) ([]diff.Report, error)
}

// ReplayRequest is the body of POST /emulator/diff/replay.
type ReplayRequest = replay.Request

// Bounds of one replay.
const (
	MaxReplayRequests = 10000
	MaxReplayBytes    = 16 << 20
)

// diffReport answers GET /emulator/diff?function=B[&alias=release][&since=10m]
// [&primary=1&candidate=2].
func (s *Server) diffReport(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Diffs == nil {
		return kinded{errors.New("this emulator keeps no diff results"), ErrNotFound}
	}
	fn, err := s.function(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dq := diff.Query{Function: fn, Alias: q.Get("alias"), Primary: q.Get("primary"), Candidate: q.Get("candidate")}
	if v := q.Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return badRequest("since must be a positive duration such as 10m")
		}
		dq.Since = time.Now().Add(-d)
	}
	writeJSON(w, http.StatusOK, s.opts.Diffs.Report(dq))
	return nil
}

// replay answers POST /emulator/diff/replay with the report of the replay.
func (s *Server) replay(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Diffs == nil {
		return kinded{errors.New("this emulator keeps no diff results"), ErrNotFound}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReplayBytes))
	if err != nil {
		return kinded{fmt.Errorf("body over %d bytes or unreadable: %w", MaxReplayBytes, err), ErrTooLarge}
	}
	var req ReplayRequest
	if err := decodeStrict(body, &req, "replay"); err != nil {
		return err
	}
	if req.Stage == "" {
		return badRequest("stage is required")
	}
	if n := len(req.Requests); n == 0 || n > MaxReplayRequests {
		return badRequest("requests: want 1 to 10000 recorded requests")
	}
	rep, err := s.opts.Diffs.Replay(r.Context(), req)
	if errors.Is(err, replay.ErrInvalidRequest) {
		return kinded{err, ErrBadRequest}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
