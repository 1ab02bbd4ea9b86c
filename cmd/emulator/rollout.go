package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/scferr"
	"github.com/scf-emulator/emulator/tc3"
)

// maxPlanBytes bounds a rollout request body.
const maxPlanBytes = 1 << 20

// signService is the credential scope's service, as for the cloud API.
const signService = "scf"

// rolloutRoutes registers the rollout endpoints on the admin mux. The two
// POSTs change routing, so with credentials they must be signed like the
// cloud API; the GETs only read.
func (a *App) rolloutRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /emulator/rollouts", a.startRollout)
	mux.HandleFunc("GET /emulator/rollouts", a.listRollouts)
	mux.HandleFunc("GET /emulator/rollouts/watch", a.watchRollout)
	mux.HandleFunc("POST /emulator/rollouts/abort", a.abortRollout)
}

func (a *App) startRollout(w http.ResponseWriter, r *http.Request) {
	body, ok := a.signedBody(w, r)
	if !ok {
		return
	}
	var p rollout.Plan
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "rollout plan: " + err.Error()})
		return
	}
	st, err := a.rollouts.Start(r.Context(), p)
	if err != nil {
		writeJSON(w, rolloutErrorStatus(err), map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

func rolloutErrorStatus(err error) int {
	switch {
	case errors.Is(err, registry.ErrFunctionNotFound), errors.Is(err, registry.ErrAliasNotFound):
		return http.StatusNotFound
	case errors.Is(err, rollout.ErrInvalidPlan):
		return http.StatusBadRequest
	case errors.Is(err, rollout.ErrActive), errors.Is(err, rollout.ErrNotActive):
		return http.StatusConflict
	case errors.Is(err, rollout.ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// listRollouts answers the rollouts of a function (or of every function),
// running and recently finished, newest first; alias narrows them.
func (a *App) listRollouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := []rollout.Status{}
	for _, st := range a.rollouts.List(q.Get("function")) {
		if alias := q.Get("alias"); alias == "" || st.Alias == alias {
			out = append(out, st)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// watchRollout streams one rollout's status as newline-delimited JSON: the
// current one, then every change, until it ends, the client leaves or the
// emulator stops. id picks a rollout; without it, the alias' running one
// (or else its last).
func (a *App) watchRollout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fn, alias, id := q.Get("function"), q.Get("alias"), q.Get("id")
	var (
		mu     sync.Mutex // guards latest
		latest rollout.Status
	)
	wake := make(chan struct{}, 1)
	defer a.rollouts.Subscribe(func(st rollout.Status) {
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
	st, ok := a.findRollout(fn, alias, id)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no rollout of alias %s of function %s", alias, fn)})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	var sent time.Time // UpdatedAt of the last status sent
	for {
		// The subscription started before Get, so a wake-up may carry a
		// status older than the one already sent.
		if st.ID != "" && !st.UpdatedAt.Before(sent) {
			if err := enc.Encode(st); err != nil {
				return
			}
			flush(w)
			sent = st.UpdatedAt
			if st.State.Terminal() {
				return
			}
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		case <-a.closing: // shutdown must not wait for a watcher to hang up
			return
		}
		mu.Lock()
		st = latest
		mu.Unlock()
	}
}

func (a *App) findRollout(fn, alias, id string) (rollout.Status, bool) {
	if id == "" {
		return a.rollouts.Get(fn, alias)
	}
	for _, st := range a.rollouts.List(fn) {
		if st.ID == id && st.Alias == alias {
			return st, true
		}
	}
	return rollout.Status{}, false
}

// rolloutChanges passes on the updates that change what a person sees
// (a step, a check, the end), not the bookkeeping in between.
func rolloutChanges(fn func(rollout.Status)) func(rollout.Status) {
	var (
		mu   sync.Mutex            // guards last
		last = map[string]string{} // rollout ID -> the line last passed on
	)
	return func(st rollout.Status) {
		line := rolloutLine(st, time.Time{})
		mu.Lock()
		same := last[st.ID] == line
		if st.State.Terminal() {
			delete(last, st.ID)
		} else {
			last[st.ID] = line
		}
		mu.Unlock()
		if !same {
			fn(st)
		}
	}
}

// abortRequest is the body of POST /emulator/rollouts/abort. The query
// (function, alias) works too, but a TC3 signature does not cover a POST's
// query, so with credentials the names must be in the signed body.
type abortRequest struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	Reason   string `json:"reason"`
}

func (a *App) abortRollout(w http.ResponseWriter, r *http.Request) {
	body, ok := a.signedBody(w, r)
	if !ok {
		return
	}
	var req abortRequest
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "abort request: " + err.Error()})
			return
		}
	}
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		v    *string
	}{{"function", &req.Function}, {"alias", &req.Alias}} {
		qv := q.Get(f.name)
		switch {
		case qv != "" && *f.v != "" && qv != *f.v:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("%s is %q in the query and %q in the body", f.name, qv, *f.v)})
			return
		case *f.v == "" && a.cfg.SecretID != "":
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": f.name + " must be in the signed body when the emulator checks signatures"})
			return
		case *f.v == "":
			*f.v = qv
		}
	}
	st, err := a.rollouts.Abort(req.Function, req.Alias, req.Reason)
	if err != nil {
		writeJSON(w, rolloutErrorStatus(err), map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// signedBody reads the request body and, when the emulator runs with
// credentials, checks its TC3-HMAC-SHA256 signature as the cloud API does.
// On failure it has answered and returns false.
func (a *App) signedBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPlanBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body over %d bytes or unreadable: %v", maxPlanBytes, err)})
		return nil, false
	}
	if a.cfg.SecretID == "" {
		return body, true
	}
	keys := map[string]string{}
	if a.cfg.SecretKey != "" {
		keys[a.cfg.SecretID] = a.cfg.SecretKey
	}
	host := r.Host
	if orig := r.Header.Get(api.OriginalHostHeader); orig != "" {
		host = orig
	}
	v := tc3.Verifier{Service: signService, Keys: keys}
	if err := v.Verify(tc3.FromHTTP(r, host, body)); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return nil, false
	}
	return body, true
}

// hookInvoker runs rollout hooks through the engine, recorded like any
// other invocation, so a hook's logs and metrics are where a person looks.
type hookInvoker struct{ eng *engine.Engine }

func (h hookInvoker) InvokeHook(ctx context.Context, function, qualifier string, event []byte) error {
	o, err := h.eng.Invoke(ctx, engine.Request{Function: function, Qualifier: qualifier, Event: event})
	if err != nil {
		return err
	}
	if o.Err != nil {
		return fmt.Errorf("version %s answered status %d (request %s): %w", o.Target.Version, scferr.Status(o.Err), o.RequestID, o.Err)
	}
	return nil
}
