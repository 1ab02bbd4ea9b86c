package registry

import (
	"context"
	"errors"
	"strings"
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

// defineLeavingOut defines fn from src, leaving out the triggers names.
func defineLeavingOut(t *testing.T, r *Registry, src, fn string, names ...string) {
	t.Helper()
	spec := testSpec(fn, src)
	spec.LeaveOut = names
	if err := r.Define(context.Background(), spec); err != nil {
		t.Fatal(err)
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
	r, src := setup(t, nil)
	routeTaken(t, r, src)
	// LeaveOut on a function that is not being restored is ignored.
	defineLeavingOut(t, r, src, "C", "web")
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

// TestLeftOutTriggerHoldsNoRoute: B's web, left out of the restore, and
// C's web share a route. A disabled trigger holds no route: C's updates go
// through, and B's too while they leave it disabled (its mark kept, so
// parking B again still enables it); enabling it is refused, naming C's.
// Once C's is disabled, B's can be enabled, and then C's cannot.
func TestLeftOutTriggerHoldsNoRoute(t *testing.T) {
	r, src := setup(t, nil)
	routeTaken(t, r, src)
	defineLeavingOut(t, r, src, "B", "web")
	live := triggerOf(t, r, "C", "web")
	live.Description, live.Qualifier = "C keeps the route", Latest
	if _, err := r.UpdateTrigger("C", live); err != nil {
		t.Fatalf("updating C's web beside B's disabled one: %v", err)
	}

	tests := []struct {
		name    string
		change  func(*Trigger)
		wantErr string // "" for none
	}{
		{"described", func(tr *Trigger) { tr.Description = "was E's" }, ""},
		{"other qualifier", func(tr *Trigger) { tr.Qualifier = Latest }, ""},
		{"enabled", func(tr *Trigger) { tr.Enabled = true },
			"trigger web of function C already serves ANY /release/t in service A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := triggerOf(t, r, "B", "web")
			tc.change(&want)
			_, err := r.UpdateTrigger("B", want)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("UpdateTrigger: %v", err)
			case tc.wantErr != "" && (!errors.Is(err, ErrTriggerConflict) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("UpdateTrigger = %v, want ErrTriggerConflict naming %q", err, tc.wantErr)
			}
			got := triggerOf(t, r, "B", "web")
			if got.Enabled || !got.LeftOut {
				t.Errorf("B's web = %+v, want still disabled and left out", got)
			}
			if tc.wantErr == "" && (got.Description != want.Description || got.Qualifier != want.Qualifier) {
				t.Errorf("B's web = %+v, want the update %+v", got, want)
			}
		})
	}

	live = triggerOf(t, r, "C", "web")
	live.Enabled = false
	if _, err := r.UpdateTrigger("C", live); err != nil {
		t.Fatal(err)
	}
	on := triggerOf(t, r, "B", "web")
	on.Enabled = true
	if _, err := r.UpdateTrigger("B", on); err != nil {
		t.Fatalf("enabling B's web once C's is disabled: %v", err)
	}
	if got := triggerOf(t, r, "B", "web"); !got.Enabled || got.LeftOut {
		t.Errorf("B's web = %+v, want enabled, no mark", got)
	}
	live.Enabled = true
	if _, err := r.UpdateTrigger("C", live); !errors.Is(err, ErrTriggerConflict) || !strings.Contains(err.Error(), "trigger web of function B") {
		t.Errorf("enabling C's web on B's route = %v, want ErrTriggerConflict naming B's", err)
	}
	// A new trigger may take the route of a disabled one, and a disabled
	// one may be created on a taken route; neither holds it.
	if err := r.Define(context.Background(), testSpec("D", src)); err != nil {
		t.Fatal(err)
	}
	off := apigw("web", "release", "/t", "ANY", "")
	off.Enabled = false
	if _, err := r.CreateTrigger("D", off); err != nil {
		t.Errorf("creating a disabled trigger on B's route: %v", err)
	}
	if _, err := r.CreateTrigger("D", apigw("web2", "release", "/t", "GET", "")); !errors.Is(err, ErrTriggerConflict) {
		t.Errorf("creating an enabled trigger on B's route = %v, want ErrTriggerConflict", err)
	}
}
