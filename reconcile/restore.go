package reconcile

import (
	"fmt"
	"strings"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// While a function is parked its triggers serve nothing, so another
// function may take their routes: an apigw trigger's service, stage, path
// and method, or a clb trigger's path. When the function comes back, two
// things may hold one route. The rule:
//
//   - a kept trigger the config does not declare (created through the cloud
//     API) yields: the function is restored without it, the trigger kept but
//     disabled and marked (registry.Trigger.LeftOut), and the report names
//     the route, who holds it and how to resolve it. The file cannot change
//     such a trigger, nor can anyone while the function is parked, so
//     refusing the edit would leave no way back but deleting something;
//   - a trigger the config declares is the file's, so a clash is the file's
//     problem and refuses the edit, as any route clash of the file does.

// Conflict is a kept trigger of a function being restored whose route
// another holds now; the function is restored without it.
type Conflict struct {
	Function string           // as the config names it
	Trigger  registry.Trigger // the kept trigger, left out
	Holder   string           // "trigger web of function C", "the API at emulator.yaml:14 (function C)"
	inFile   string           // "API" or "trigger" when the holder is the config file's, else ""
}

// Route renders the trigger's route: "apigw ANY /release/t in service A",
// "clb POST /orders".
func (c Conflict) Route() string {
	t := c.Trigger
	if t.Type == registry.TriggerCLB {
		return fmt.Sprintf("clb %s %s", t.Method, t.Path)
	}
	return fmt.Sprintf("apigw %s /%s%s in service %s", t.Method, t.Stage, t.Path, t.Service)
}

// String says what was left out, why, and how to serve it again.
func (c Conflict) String() string {
	fix := fmt.Sprintf("delete one of the two triggers (DeleteTrigger), and if %s's is the one kept, enable it (UpdateTriggerStatus)", c.Function)
	if c.inFile != "" {
		fix = fmt.Sprintf("move or remove that %s in the config, then enable %s's trigger (UpdateTriggerStatus), or delete the trigger", c.inFile, c.Function)
	}
	return fmt.Sprintf("trigger %s of %s (%s) left out of the restore: %s took that route while %s was parked. It is kept, disabled; to serve it, %s",
		c.Trigger.Name, c.Function, c.Route(), c.Holder, c.Function, fix)
}

// LeaveOut judges the kept triggers of f, a function of config cur, when it
// is parked and about to be restored: it returns the triggers whose route
// another function's enabled trigger, a clb trigger of another function of
// cur or an API of cur holds now, which the restore leaves out
// (registry.FunctionSpec.LeaveOut), and refuses with a *config.Problem a
// clb trigger f declares on a taken route (clb.go). For a function that is
// not parked it returns nothing. path is the config file as the user named
// it. At start-up, NewApp asks it for each function it defines.
func LeaveOut(reg Registry, path string, cur *config.File, f config.Function) ([]Conflict, error) {
	return leaveOut(reg, path, cur, f, nil)
}

// leaveOut is LeaveOut for an edit that applies the triggers of the
// functions applies tells (nil: all, as at start-up; see clbHolders).
func leaveOut(reg Registry, path string, cur *config.File, f config.Function, applies func(key string) bool) ([]Conflict, error) {
	key := registry.Key(f.Namespace, f.Name)
	kept, ok := reg.ParkedTriggers(key)
	if !ok {
		return nil, nil
	}
	holders := clbHolders(reg, cur, applies)
	if err := checkCLB(path, f, holders, true); err != nil {
		return nil, err
	}
	var others []registry.Trigger
	for _, t := range reg.AllTriggers() {
		if t.Function != key && t.Enabled { // a disabled trigger holds no route
			others = append(others, t)
		}
	}
	declared := map[string]bool{}
	for _, ct := range f.Triggers {
		declared[ct.Name] = true
	}
	var out []Conflict
	for _, t := range kept {
		if !t.Enabled || t.Config || declared[t.Name] || (t.Type != registry.TriggerAPIGateway && t.Type != registry.TriggerCLB) {
			continue // serves nothing, is the file's (checked above; the file takes a trigger of its name over), or has no route
		}
		c := Conflict{Function: f.Name, Trigger: t}
		if o, ok := overlapping(t, others); ok {
			c.Holder = fmt.Sprintf("trigger %s of function %s", o.Name, o.Function)
		} else if h, ok := declaredOn(holders, key, t); ok {
			c.Holder, c.inFile = h.describe(path), "trigger"
		} else if line, fn, ok := apiOn(cur, t); ok {
			c.Holder, c.inFile = fmt.Sprintf("the API at %s:%d (function %s)", path, line, fn), "API"
		} else {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// overlapping returns a trigger of others that answers requests t would
// answer: the registry's rule, which CreateTrigger enforces among served
// functions.
func overlapping(t registry.Trigger, others []registry.Trigger) (registry.Trigger, bool) {
	for _, o := range others {
		if t.Overlaps(o) {
			return o, true
		}
	}
	return registry.Trigger{}, false
}

// declaredOn finds a clb trigger another function than key declares in
// the config on the route of t.
func declaredOn(holders []holder, key string, t registry.Trigger) (holder, bool) {
	for _, h := range holders {
		if h.line > 0 && h.t.Function != key && t.Overlaps(h.t) {
			return h, true
		}
	}
	return holder{}, false
}

// apiOn finds an API of cur bound at apigw trigger t's route: the same
// service, stage, path and method, which the gateway's route table refuses
// to hold twice. It returns the API's line and function.
func apiOn(cur *config.File, t registry.Trigger) (line int, function string, ok bool) {
	if cur == nil || t.Type != registry.TriggerAPIGateway {
		return 0, "", false
	}
	for _, s := range cur.Services {
		if s.Name != t.Service {
			continue
		}
		for _, api := range s.APIs {
			if q := effectiveStages(s, api)[t.Stage]; q != "" && api.Path == t.Path && strings.EqualFold(api.Method, t.Method) {
				return api.Line, api.Function, true
			}
		}
	}
	return 0, "", false
}

// names lists the triggers of cs.
func names(cs []Conflict) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Trigger.Name
	}
	return out
}
