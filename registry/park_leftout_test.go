package registry

import (
	"context"
	"errors"
	"testing"
)

// routeTaken parks B with apigw trigger "web" on ANY /release/t of service
// A, then gives function C, defined from src, a trigger on the same route:
// what another person may do while B is parked.
func routeTaken(t *testing.T, r *Registry, src string) {
	t.Helper()
	ctx := context.Background()
	web := Trigger{Name: "web", Type: TriggerAPIGateway, Service: "A", Stage: "release", Path: "/t", Method: "ANY", Enabled: true}
	if _, err := r.CreateTrigger("B", web); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Park(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if err := r.Define(ctx, testSpec("C", src)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTrigger("C", web); err != nil {
		t.Fatalf("CreateTrigger on the route of parked B: %v", err)
	}
}

func triggerOf(t *testing.T, r *Registry, fn, name string) Trigger {
	t.Helper()
	ts, err := r.Triggers(fn)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("%s has no trigger %s", fn, name)
	return Trigger{}
}

func TestRestoreLeavesOutTakenTriggers(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	routeTaken(t, r, src)
	kept, ok := r.ParkedTriggers("B")
	if !ok || len(kept) != 1 || kept[0].Name != "web" || kept[0].Function != "B" || !kept[0].Enabled {
		t.Fatalf("ParkedTriggers(B) = %+v, %v; want web, enabled", kept, ok)
	}
	if _, ok := r.ParkedTriggers("C"); ok {
		t.Error("ParkedTriggers of served C answered")
	}

	spec := testSpec("B", src)
	spec.LeaveOut = []string{"web", "nope"} // a name it does not have is no error
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if got := triggerOf(t, r, "B", "web"); got.Enabled || !got.LeftOut {
		t.Errorf("B's web after the restore = %+v, want disabled and marked left out", got)
	}
	for _, tr := range r.AllTriggers() {
		if tr.Enabled && tr.Function == "B" {
			t.Errorf("B serves %+v", tr)
		}
	}

	// Parked again, the mark goes and it is enabled: nothing of a parked
	// function is served, and the next restore judges it afresh.
	if _, err := r.Park(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if kept, _ := r.ParkedTriggers("B"); !kept[0].Enabled || kept[0].LeftOut {
		t.Errorf("parked again: %+v, want enabled, no mark", kept[0])
	}
	// C still holds the route: the caller leaves it out again.
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if got := triggerOf(t, r, "B", "web"); got.Enabled || !got.LeftOut {
		t.Fatalf("second restore: %+v", got)
	}
	// Enabling it while C holds the route is refused; an update clears the
	// mark: it is the user's decision now.
	on := triggerOf(t, r, "B", "web")
	on.Enabled = true
	if _, err := r.UpdateTrigger("B", on); !errors.Is(err, ErrTriggerConflict) {
		t.Errorf("enabling B's web while C holds the route = %v, want ErrTriggerConflict", err)
	}
	if err := r.DeleteTrigger("C", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateTrigger("B", on); err != nil {
		t.Fatal(err)
	}
	if got := triggerOf(t, r, "B", "web"); !got.Enabled || got.LeftOut {
		t.Errorf("after UpdateTrigger: %+v, want enabled, no mark", got)
	}
}

func TestRestoreWithoutLeaveOutKeepsTriggers(t *testing.T) {
	ctx := context.Background()
	r, src := setup(t, nil)
	routeTaken(t, r, src)
	// LeaveOut on a function that is not being restored is ignored.
	spec := testSpec("C", src)
	spec.LeaveOut = []string{"web"}
	if err := r.Define(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if got := triggerOf(t, r, "C", "web"); !got.Enabled || got.LeftOut {
		t.Errorf("C's web after a redefinition with LeaveOut = %+v, want untouched", got)
	}
}

func TestDeleteParkedOnlyDeletesParked(t *testing.T) {
	ctx := context.Background()
	r, _ := setup(t, nil)
	tests := []struct {
		name    string
		before  func() error
		wantErr error
	}{
		{"served", func() error { return nil }, ErrNotParked},
		{"missing", func() error { return nil }, ErrFunctionNotFound},
		{"parked", func() error { _, err := r.Park(ctx, "B"); return err }, nil},
		{"deleted already", func() error { return nil }, ErrFunctionNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.before(); err != nil {
				t.Fatal(err)
			}
			name := "B"
			if tc.name == "missing" {
				name = "nope"
			}
			err := r.DeleteParked(ctx, name)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("DeleteParked(%s) = %v, want %v", name, err, tc.wantErr)
			}
			if tc.wantErr == ErrNotParked {
				if _, err := r.Function("B"); err != nil {
					t.Errorf("refused DeleteParked deleted served B: %v", err)
				}
			}
		})
	}
	if _, ok := r.ParkedFunction("B"); ok {
		t.Error("B is still parked")
	}
}
