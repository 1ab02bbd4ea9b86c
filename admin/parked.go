package admin

import (
	"context"
	"fmt"
	"net/http"

	"github.com/scf-emulator/emulator/registry"
)

// Parked lists and deletes the parked functions: functions that left
// emulator.yaml, kept in the state dir and not served (registry/park.go).
// *registry.Registry satisfies it. DeleteParked wraps
// registry.ErrNotParked for a function served again and
// registry.ErrFunctionNotFound for one that is gone.
type Parked interface {
	ParkedFunctions() []registry.Parked
	DeleteParked(ctx context.Context, name string) error
}

// ParkedFunction is one entry of GET /emulator/parked: what is kept of a
// parked function and since when.
type ParkedFunction = registry.Parked

// DeleteParkedRequest is the body of POST /emulator/parked/delete. It names
// one function, so a client deleting several knows exactly which went when
// one fails (`emulator gc --parked` while the emulator runs).
type DeleteParkedRequest struct {
	Function string `json:"function"`
}

// DeleteParkedAnswer is what POST /emulator/parked/delete answers.
type DeleteParkedAnswer struct {
	Deleted string `json:"deleted"`
}

func (s *Server) parkedSource() (Parked, error) {
	if s.opts.Parked == nil {
		return nil, kinded{fmt.Errorf("this emulator keeps no parked functions"), ErrNotFound}
	}
	return s.opts.Parked, nil
}

// listParked answers the parked functions, sorted by name.
func (s *Server) listParked(w http.ResponseWriter, _ *http.Request) error {
	src, err := s.parkedSource()
	if err != nil {
		return err
	}
	out := src.ParkedFunctions()
	if out == nil {
		out = []ParkedFunction{} // [] rather than null
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteParked deletes one parked function for good, with its versions,
// aliases, triggers and everything subscribed to the registry drops
// (capacity settings, held rollouts). A function added back to the config
// meanwhile is refused (409), not deleted.
func (s *Server) deleteParked(w http.ResponseWriter, r *http.Request) error {
	src, err := s.parkedSource()
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var req DeleteParkedRequest
	if err := decodeStrict(body, &req, "delete request"); err != nil {
		return err
	}
	if req.Function == "" {
		return badRequest("function is required: the parked function to delete")
	}
	if err := src.DeleteParked(r.Context(), req.Function); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, DeleteParkedAnswer{Deleted: req.Function})
	return nil
}
