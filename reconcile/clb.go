package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// A clb trigger the config declares is the file's, so a route clash of one
// is the file's problem, found before anything changes: the edit is
// refused with file:line naming the holder, whether the trigger is new,
// moved, or comes back with a restored function (restore.go). It is judged
// against what will hold the route once the edit is applied (only enabled
// triggers hold routes, as the registry rules):
//
//   - another clb trigger the file declares;
//   - a trigger created through the cloud API, of a function that stays
//     served and does not declare a trigger of that name (which it would
//     take over).
//
// The file's triggers of a function it keeps go where the file says, and
// the triggers of a function it removes leave with it (parked before any
// trigger is applied), so neither holds a route the file gives another.
// Applying then frees before it takes: every function's triggers are
// applied first with the clb triggers that take a route disabled, which
// frees the routes they give up (moved, dropped, swapped), and then as
// declared (applyTriggers).

// holder is a route once an edit is applied: an enabled clb trigger, and
// the line of the config that declares it (0: created through the cloud
// API).
type holder struct {
	t    registry.Trigger
	line int
}

// describe names the holder: "clb trigger orders of function D", "clb
// trigger mine of function C at emulator.yaml:9".
func (h holder) describe(path string) string {
	s := fmt.Sprintf("clb trigger %s of function %s", h.t.Name, h.t.Function)
	if h.line > 0 {
		s += fmt.Sprintf(" at %s:%d", path, h.line)
	}
	return s
}

// declaredCLB is clb trigger ct of config function key as the registry
// stores it.
func declaredCLB(key string, ct config.Trigger) registry.Trigger {
	t := registry.Trigger{Function: key, Name: ct.Name, Type: registry.TriggerCLB, Path: ct.Path, Method: strings.ToUpper(ct.Method), Enabled: ct.Enabled}
	if t.Method == "" {
		t.Method = "ANY"
	}
	return t
}

// clbHolders returns the clb routes held once cur is applied: the file's
// clb triggers and the enabled stored ones that stay (see above). applies
// tells the functions of cur whose triggers the edit applies (nil: all of
// them, as at start-up): the stored triggers of one it does not apply stay
// as they are, so an enabled one holds its route even where the file
// declares it disabled or elsewhere (UpdateTriggerStatus, UpdateTrigger
// since the last edit); the file's next edit of that function puts it
// back.
func clbHolders(reg Registry, cur *config.File, applies func(key string) bool) []holder {
	declared := map[string]map[string]bool{} // function key -> trigger names the file declares
	var out []holder
	for _, f := range cur.Functions {
		key := registry.Key(f.Namespace, f.Name)
		declared[key] = map[string]bool{}
		for _, ct := range f.Triggers {
			declared[key][ct.Name] = true
			if ct.Type == config.TriggerCLB && ct.Enabled {
				out = append(out, holder{t: declaredCLB(key, ct), line: ct.Line})
			}
		}
	}
	for _, t := range reg.AllTriggers() {
		if t.Type != registry.TriggerCLB || !t.Enabled {
			continue
		}
		names, inFile := declared[t.Function]
		switch {
		case inFile && (applies == nil || applies(t.Function)) && (t.Config || names[t.Name]):
			continue // the file says where it goes
		case !inFile && removed(reg, t.Function):
			continue // parked before the triggers are applied
		}
		out = append(out, holder{t: t})
	}
	return out
}

// removed reports whether served function key, which cur does not
// declare, leaves with the edit: a function the config declared, not one
// created through the cloud API.
func removed(reg Registry, key string) bool {
	fn, err := reg.Function(key)
	return err == nil && fn.Source != reg.ManagedSourceDir(key)
}

// checkCLB refuses, as a *config.Problem at its line, a clb trigger f
// declares whose route another of holders has; parked says f comes back
// from being parked, which the message then says.
func checkCLB(path string, f config.Function, holders []holder, parked bool) error {
	key := registry.Key(f.Namespace, f.Name)
	for _, ct := range f.Triggers {
		if ct.Type != config.TriggerCLB || !ct.Enabled {
			continue
		}
		want := declaredCLB(key, ct)
		i := slices.IndexFunc(holders, func(h holder) bool {
			return (h.t.Function != key || h.t.Name != ct.Name) && want.Overlaps(h.t)
		})
		if i < 0 {
			continue
		}
		h := holders[i]
		msg := fmt.Sprintf("clb route %s %s is taken: %s serves it", want.Method, want.Path, h.describe(path))
		switch {
		case h.line > 0:
			msg = fmt.Sprintf("clb route %s %s is declared twice: trigger %s of function %s at %s:%d declares it too; give one of them another path",
				want.Method, want.Path, h.t.Name, h.t.Function, path, h.line)
		case parked:
			msg += fmt.Sprintf(" (it took the route while %s was parked); give this trigger another path, or delete that trigger first", f.Name)
		default:
			msg += "; give this trigger another path, or delete that trigger first"
		}
		return &config.Problem{File: path, Line: ct.Line, Key: "functions." + f.Name + ".triggers " + ct.Name, Msg: msg}
	}
	return nil
}

// withoutTakes returns f with the clb triggers that take a route f's
// stored triggers do not hold already (new, moved or enabled) disabled, and
// whether it disabled any. Disabled rather than left out: applied, a moved
// one lets its old route go whether the file declared it already or takes
// over one created through the cloud API, which a trigger left out keeps.
func withoutTakes(reg interface{ AllTriggers() []registry.Trigger }, f config.Function) (config.Function, bool) {
	key := registry.Key(f.Namespace, f.Name)
	held := map[string]registry.Trigger{}
	for _, t := range reg.AllTriggers() {
		if t.Function == key && t.Type == registry.TriggerCLB && t.Enabled {
			held[t.Name] = t
		}
	}
	first, takes := make([]config.Trigger, 0, len(f.Triggers)), false
	for _, ct := range f.Triggers {
		if ct.Type == config.TriggerCLB && ct.Enabled {
			want, have := declaredCLB(key, ct), held[ct.Name]
			if have.Name == "" || have.Path != want.Path || have.Method != want.Method {
				ct.Enabled, takes = false, true
			}
		}
		first = append(first, ct)
	}
	if !takes {
		return f, false
	}
	f.Triggers = first
	return f, true
}

// applyTriggers makes the triggers of the functions an edit added or
// changed what cur declares: first with the clb triggers that take a route
// disabled, then as declared (see ApplyTriggers).
func (r *Reconciler) applyTriggers(cur *config.File, ch config.Changes) error {
	var fns []config.Function
	var olds []*config.Function
	for _, f := range cur.Functions {
		prev, changed := changedFrom(ch, f.Name)
		if !changed && !isAdded(ch, f.Name) {
			continue
		}
		var old *config.Function
		if changed {
			old = &prev
		}
		fns, olds = append(fns, f), append(olds, old)
	}
	return ApplyTriggers(r.o.Registry, fns, func(i int, f config.Function) error { return r.o.Triggers.Apply(f, olds[i]) })
}

// ApplyTriggers applies the triggers of fns with apply in two passes: each
// function first with the clb triggers that take a route it does not hold
// yet disabled, then, for those that had some, as declared. The routes the
// first pass gives up (moved away, disabled) are free by the second, so
// moves and swaps between functions work whatever their order in the
// file. Start-up applies the whole file this way, a live edit the
// functions it added or changed.
func ApplyTriggers(reg interface{ AllTriggers() []registry.Trigger }, fns []config.Function, apply func(i int, f config.Function) error) error {
	var second []int
	for i, f := range fns {
		first, takes := withoutTakes(reg, f)
		if err := apply(i, first); err != nil {
			return err
		}
		if takes {
			second = append(second, i)
		}
	}
	for _, i := range second {
		if err := apply(i, fns[i]); err != nil {
			return err
		}
	}
	return nil
}
