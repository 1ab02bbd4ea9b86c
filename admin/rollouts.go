package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/rollout"
)

// MaxPlanBytes bounds the body of a rollout POST.
const MaxPlanBytes = 1 << 20

// AbortRequest is the body of POST /emulator/rollouts/abort. The query
// (function, alias) works too, but a TC3 signature does not cover a POST's
// query, so with signatures the names must be in the body.
type AbortRequest struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	Reason   string `json:"reason"`
}

// readBody reads a rollout POST's body. The Guard has already checked its
// signature when the emulator asks for one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPlanBytes))
	if err != nil {
		return nil, kinded{fmt.Errorf("body over %d bytes or unreadable: %w", MaxPlanBytes, err), ErrTooLarge}
	}
	return body, nil
}

// decodeStrict decodes body into v, refusing fields v does not have: a
// misspelt plan field must not silently fall back to a default.
func decodeStrict(body []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("%s: %v", what, err)
	}
	return nil
}

func (s *Server) startRollout(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var p rollout.Plan
	if err := decodeStrict(body, &p, "rollout plan"); err != nil {
		return err
	}
	st, err := s.opts.Rollouts.Start(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

// listRollouts answers the rollouts of a function (or of every function),
// running and recently finished, newest first; alias narrows them.
func (s *Server) listRollouts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []rollout.Status{}
	for _, st := range s.opts.Rollouts.List(q.Get("function")) {
		if alias := q.Get("alias"); alias == "" || st.Alias == alias {
			out = append(out, st)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// watchRollout streams one rollout's status as newline-delimited JSON: the
// current one, then every change, until it ends, the client leaves or the
// server closes. id picks a rollout; without it, the alias' running one
// (or else its last).
func (s *Server) watchRollout(w http.ResponseWriter, r *http.Request) error {
	release, err := s.streams.open(w, r)
	if err != nil {
		return err
	}
	defer release()
	q := r.URL.Query()
	fn, alias, id := q.Get("function"), q.Get("alias"), q.Get("id")
	var (
		mu     sync.Mutex // guards latest
		latest rollout.Status
	)
	wake := make(chan struct{}, 1)
	defer s.opts.Rollouts.Subscribe(func(st rollout.Status) {
		if st.Function != fn || st.Alias != alias || (id != "" && st.ID != id) {
			return
		}
		mu.Lock()
		latest = st
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default: // a wake-up is pending; it will read the newest status
		}
	})()
	st, ok := s.findRollout(fn, alias, id)
	if !ok {
		return kinded{fmt.Errorf("no rollout of alias %s of function %s", alias, fn), ErrNotFound}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	var sent time.Time // UpdatedAt of the last status sent
	for {
		// The subscription started before the lookup, so a wake-up may
		// carry a status older than the one already sent.
		if st.ID != "" && !st.UpdatedAt.Before(sent) {
			if err := enc.Encode(st); err != nil {
				return nil
			}
			flush(w)
			sent = st.UpdatedAt
			if st.State.Terminal() {
				return nil
			}
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return nil
		case <-s.closing: // shutdown must not wait for a watcher to hang up
			return nil
		}
		mu.Lock()
		st = latest
		mu.Unlock()
	}
}

func (s *Server) findRollout(fn, alias, id string) (rollout.Status, bool) {
	if id == "" {
		return s.opts.Rollouts.Get(fn, alias)
	}
	for _, st := range s.opts.Rollouts.List(fn) {
		if st.ID == id && st.Alias == alias {
			return st, true
		}
	}
	return rollout.Status{}, false
}

func (s *Server) abortRollout(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var req AbortRequest
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(body, &req, "abort request"); err != nil {
			return err
		}
	}
	if err := s.namesFromQuery(r, &req); err != nil {
		return err
	}
	st, err := s.opts.Rollouts.Abort(req.Function, req.Alias, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// namesFromQuery fills the function and alias of an abort from the query
// when the body has none, unless signatures are checked (the query is not
// signed), and refuses a query that disagrees with the body.
func (s *Server) namesFromQuery(r *http.Request, req *AbortRequest) error {
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		v    *string
	}{{"function", &req.Function}, {"alias", &req.Alias}} {
		qv := q.Get(f.name)
		switch {
		case qv != "" && *f.v != "" && qv != *f.v:
			return badRequest("%s is %q in the query and %q in the body", f.name, qv, *f.v)
		case *f.v == "" && s.opts.Signed:
			return badRequest("%s must be in the signed body when the emulator checks signatures", f.name)
		case *f.v == "":
			*f.v = qv
		}
	}
	return nil
}
