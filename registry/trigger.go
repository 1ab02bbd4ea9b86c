package registry

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/platform"
)

// Trigger types. apigw triggers are gateway routes; clb triggers are
// routes under the gateway's CLB prefix; the others are fired by package
// trigger's scheduler, bucket watcher and topic broker.
const (
	TriggerAPIGateway = "apigw"
	TriggerTimer      = "timer"
	TriggerCOS        = "cos"
	TriggerCKafka     = "ckafka"
	TriggerCMQ        = "cmq"
	TriggerCLB        = "clb"
)

// MaxTriggersPerType is the platform's limit of triggers of one type per
// function (LimitExceeded.Trigger).
const MaxTriggersPerType = 10

// gatewayNameRE is what the gateway accepts as a service or stage name.
var gatewayNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Trigger binds an event source to a qualifier of a function. An apigw
// trigger binds an API Gateway path and method, in one stage of one
// service: the gateway serves it at /<Stage><Path>. Every trigger routes
// through Qualifier when it fires, so alias weights apply, and a trigger
// whose alias or version is deleted later simply stops matching a version.
// Fields of other types are empty (and omitted from state.json).
type Trigger struct {
	Function  string `json:"-"` // set by the registry
	Name      string `json:"name"`
	Type      string `json:"type"`                // TriggerAPIGateway, TriggerTimer, ...
	Qualifier string `json:"qualifier"`           // alias or version; "" is stored as $DEFAULT
	Service   string `json:"service"`             // apigw: API Gateway service name
	Stage     string `json:"stage"`               // apigw: release, prepub, test, ...
	Path      string `json:"path"`                // apigw, clb: "/hello", "/users/{id}"
	Method    string `json:"method"`              // apigw, clb: platform.IsMethod
	Cron      string `json:"cron,omitempty"`      // timer: 7-field cron
	Message   string `json:"message,omitempty"`   // timer: the event's Message
	Bucket    string `json:"bucket,omitempty"`    // cos: the folder acting as the bucket
	Events    string `json:"events,omitempty"`    // cos: "cos:ObjectCreated:*", ...
	Prefix    string `json:"prefix,omitempty"`    // cos: key prefix filter
	Suffix    string `json:"suffix,omitempty"`    // cos: key suffix filter
	Topic     string `json:"topic,omitempty"`     // ckafka, cmq
	Batch     int    `json:"batch,omitempty"`     // ckafka, cmq: messages per invocation
	MaxWaitMs int    `json:"maxWaitMs,omitempty"` // ckafka, cmq: how long a partial batch waits
	Retry     int    `json:"retry,omitempty"`     // ckafka, cmq: redeliveries of a failed batch
	// PassThrough is an API whose integrated response is off: the return
	// value is the body. Stored under its own name: state written before
	// the gateway honoured the flag kept "integratedResponse" (often false),
	// and those triggers were served integrated; they still are.
	PassThrough bool `json:"passThrough,omitempty"`
	Enabled     bool `json:"enabled"`
	// LeftOut marks a trigger that came back disabled when its parked
	// function was restored, because another function had taken its
	// route meanwhile (FunctionSpec.LeaveOut). Parking the function again
	// enables it (a parked function's triggers clash with nothing), so the
	// next restore judges it afresh. Disabled, it holds no route (see
	// routeHolder): an update that leaves it disabled keeps the mark; one
	// that enables it is the user's decision and clears it.
	LeftOut bool `json:"leftOut,omitempty"`
	// Config marks a trigger declared in emulator.yaml: the config wins
	// over changes made through the cloud API, and a trigger removed from
	// the config is deleted.
	Config      bool      `json:"config,omitempty"`
	Desc        string    `json:"desc,omitempty"` // the TriggerDesc JSON as the client sent it
	Description string    `json:"description,omitempty"`
	AddTime     time.Time `json:"addTime"`
	ModTime     time.Time `json:"modTime"`
}

// checkTrigger validates t and returns it normalised: method upper case,
// empty qualifier $DEFAULT.
func checkTrigger(t Trigger) (Trigger, error) {
	bad := func(format string, args ...any) (Trigger, error) {
		return Trigger{}, fmt.Errorf("%w: trigger %q: %s", ErrInvalidTrigger, t.Name, fmt.Sprintf(format, args...))
	}
	t.Method = strings.ToUpper(t.Method)
	if t.Qualifier == "" {
		t.Qualifier = Default
	}
	if err := platform.CheckTriggerName(t.Name); err != nil {
		return Trigger{}, fmt.Errorf("%w: %v", ErrInvalidTrigger, err)
	}
	if t.Type != TriggerAPIGateway {
		if err := checkEventTrigger(&t); err != nil {
			return bad("%v", err)
		}
		return t, nil
	}
	switch {
	case !gatewayNameRE.MatchString(t.Service):
		return bad("service name %q must be 1 to 64 letters, digits, '_' or '-'", t.Service)
	case !gatewayNameRE.MatchString(t.Stage):
		return bad("stage %q must be 1 to 64 letters, digits, '_' or '-'", t.Stage)
	case !platform.IsMethod(t.Method):
		return bad("method %q must be one of %s", t.Method, platform.MethodList())
	}
	if err := checkTriggerPath(t.Path); err != nil {
		return bad("%v", err)
	}
	return t, nil
}

// checkTriggerPath accepts an absolute URL path with balanced {param}
// segments and no query or fragment, or the platform's literal exact
// ("=/x") or prefix ("^~/x") path.
func checkTriggerPath(p string) error {
	rest, marked := strings.CutPrefix(p, "=")
	if r, prefix := strings.CutPrefix(rest, "^~"); prefix && !marked {
		rest, marked = r, true
	}
	if !strings.HasPrefix(rest, "/") {
		return fmt.Errorf("path %q must start with / (or =/ for an exact path, ^~/ for a prefix)", p)
	}
	if marked && strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("path %q is an exact (=) or prefix (^~) path, which is literal: drop the { } or the mark", p)
	}
	if strings.ContainsAny(p, "?# \t\r\n") {
		return fmt.Errorf("path %q must not contain spaces, ? or #", p)
	}
	depth := 0
	for _, c := range p {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth < 0 || depth > 1 {
			return fmt.Errorf("path %q has unbalanced { }", p)
		}
	}
	if depth != 0 {
		return fmt.Errorf("path %q has unbalanced { }", p)
	}
	return nil
}

// Overlaps reports whether t and o would answer the same request: two
// apigw triggers of one service, stage and path, or two clb triggers of one
// path, with the same method or ANY on either side. No two enabled
// triggers of served functions overlap (CreateTrigger and UpdateTrigger
// refuse it, see routeHolder).
func (t Trigger) Overlaps(o Trigger) bool {
	if t.Type != o.Type || (t.Type != TriggerAPIGateway && t.Type != TriggerCLB) {
		return false
	}
	if t.Type == TriggerCLB {
		return t.Path == o.Path && (t.Method == o.Method || t.Method == "ANY" || o.Method == "ANY")
	}
	return t.Service == o.Service && t.Stage == o.Stage && t.Path == o.Path &&
		(t.Method == o.Method || t.Method == "ANY" || o.Method == "ANY")
}

// checkQualifier reports whether q names $LATEST, a published version or an
// alias of f.
func checkQualifier(f *fnState, q string) error {
	if _, ok := f.aliases[q]; ok || f.hasVersion(q) {
		return nil
	}
	return qualifierError(f.fn.Name, q)
}

// CreateTrigger adds trigger t to function name and returns it as stored.
// The qualifier must exist now; its later deletion is not prevented. No
// other trigger, of any function, may serve the same service, stage, path
// and method (ANY overlaps every method). It notifies ChangeTrigger.
//
// Errors wrap ErrFunctionNotFound, ErrInvalidTrigger, ErrTriggerExists,
// ErrTriggerLimit, ErrTriggerConflict, ErrVersionNotFound, ErrAliasNotFound
// or ErrInvalidQualifier.
func (r *Registry) CreateTrigger(name string, t Trigger) (Trigger, error) {
	t, err := checkTrigger(t)
	if err != nil {
		return Trigger{}, err
	}
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return Trigger{}, err
	}
	if _, ok := f.triggers[t.Name]; ok {
		return Trigger{}, fmt.Errorf("%w: %s of function %s", ErrTriggerExists, t.Name, name)
	}
	n := 0
	for _, o := range f.triggers {
		if o.Type == t.Type {
			n++
		}
	}
	if n >= MaxTriggersPerType {
		return Trigger{}, fmt.Errorf("%w: function %s has %d %s triggers, the limit", ErrTriggerLimit, name, n, t.Type)
	}
	if err := checkQualifier(f, t.Qualifier); err != nil {
		return Trigger{}, err
	}
	if o, ok := r.st.Load().routeHolder(t, name); ok {
		return Trigger{}, routeConflict(o)
	}
	t.Function = name
	t.AddTime = r.stamp()
	t.ModTime = t.AddTime
	next := f.clone()
	if next.triggers == nil {
		next.triggers = make(map[string]Trigger)
	}
	next.triggers[t.Name] = t
	if err := r.commitLocked(next, Change{Kind: ChangeTrigger, Function: name, Trigger: t.Name}); err != nil {
		return Trigger{}, err
	}
	r.log.Info("trigger created", "function", name, "trigger", t.Name, "type", t.Type, "qualifier", t.Qualifier)
	return t, nil
}

// routeHolder returns the trigger of a served function that answers the
// requests t, a trigger of function fn, would answer; t itself (fn's
// trigger of its name, being updated) does not count. Only enabled
// triggers hold a route: the gateway serves no other, so a disabled
// trigger, such as one left out of a parked function's restore because
// another took its route, neither blocks the route nor is blocked on it,
// until it is enabled.
func (s *state) routeHolder(t Trigger, fn string) (Trigger, bool) {
	if !t.Enabled {
		return Trigger{}, false
	}
	for _, fname := range s.names() {
		for _, o := range s.fns[fname].sortedTriggers() {
			if o.Enabled && (fname != fn || o.Name != t.Name) && t.Overlaps(o) {
				return o, true
			}
		}
	}
	return Trigger{}, false
}

// routeConflict is the refusal of a trigger on the route o holds.
func routeConflict(o Trigger) error {
	if o.Type == TriggerCLB {
		return fmt.Errorf("%w: clb trigger %s of function %s already serves %s %s",
			ErrTriggerConflict, o.Name, o.Function, o.Method, o.Path)
	}
	return fmt.Errorf("%w: trigger %s of function %s already serves %s /%s%s in service %s",
		ErrTriggerConflict, o.Name, o.Function, o.Method, o.Stage, o.Path, o.Service)
}

// DeleteTrigger deletes a trigger of function name and notifies
// ChangeTrigger.
//
// Errors wrap ErrFunctionNotFound or ErrTriggerNotFound.
func (r *Registry) DeleteTrigger(name, trigger string) error {
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return err
	}
	if _, ok := f.triggers[trigger]; !ok {
		return fmt.Errorf("%w: %s of function %s", ErrTriggerNotFound, trigger, name)
	}
	next := f.clone()
	delete(next.triggers, trigger)
	if err := r.commitLocked(next, Change{Kind: ChangeTrigger, Function: name, Trigger: trigger}); err != nil {
		return err
	}
	r.log.Info("trigger deleted", "function", name, "trigger", trigger)
	return nil
}

// Triggers returns the triggers of function name, sorted by name.
func (r *Registry) Triggers(name string) ([]Trigger, error) {
	f, ok := r.snapshotState().fns[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return f.sortedTriggers(), nil
}

// AllTriggers returns the triggers of every function, sorted by function
// and then trigger name: what the gateway's trigger routes are built from.
func (r *Registry) AllTriggers() []Trigger {
	st := r.snapshotState()
	var out []Trigger
	for _, name := range st.names() {
		out = append(out, st.fns[name].sortedTriggers()...)
	}
	return out
}

func (f *fnState) sortedTriggers() []Trigger {
	out := slices.Collect(maps.Values(f.triggers))
	slices.SortFunc(out, func(a, b Trigger) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
