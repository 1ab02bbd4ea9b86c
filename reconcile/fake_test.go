package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// ops is the log of what a reconcile did to its collaborators, in order.
// Only writes are logged: reads change nothing.
type ops []string

func (o *ops) add(format string, args ...any) { *o = append(*o, fmt.Sprintf(format, args...)) }

// fakeRegistry holds functions by name with their source folder; the
// managed source folder of G is "/managed/G".
type fakeRegistry struct {
	log      *ops
	sources  map[string]string             // defined functions -> source
	parked   map[string]registry.Parked    // parked functions
	aliases  map[string][]string           // function -> its aliases
	triggers map[string][]registry.Trigger // function, served or parked -> its triggers
	failOn   string                        // Define of this function fails
	failPark bool                          // Park fails with an unexpected error
}

func (r *fakeRegistry) ParkedTriggers(name string) ([]registry.Trigger, bool) {
	if _, ok := r.parked[name]; !ok {
		return nil, false
	}
	return r.triggers[name], true
}

func (r *fakeRegistry) AllTriggers() []registry.Trigger {
	var out []registry.Trigger
	for fn, ts := range r.triggers {
		if _, served := r.sources[fn]; served {
			out = append(out, ts...)
		}
	}
	return out
}

func (r *fakeRegistry) Function(name string) (registry.Function, error) {
	src, ok := r.sources[name]
	if !ok {
		return registry.Function{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, name)
	}
	return registry.Function{Name: name, Source: src}, nil
}

func (r *fakeRegistry) ParkedFunction(name string) (registry.Parked, bool) {
	p, ok := r.parked[name]
	return p, ok
}

func (r *fakeRegistry) ManagedSourceDir(name string) string { return "/managed/" + name }

func (r *fakeRegistry) Version(name, version string) (registry.Version, error) {
	return registry.Version{}, registry.ErrVersionNotFound
}

func (r *fakeRegistry) Alias(name, alias string) (registry.Alias, error) {
	for _, a := range r.aliases[name] {
		if a == alias {
			return registry.Alias{Name: alias}, nil
		}
	}
	return registry.Alias{}, registry.ErrAliasNotFound
}

func (r *fakeRegistry) Define(_ context.Context, spec registry.FunctionSpec) error {
	if len(spec.LeaveOut) > 0 {
		r.log.add("define %s %s leaving out %s", spec.Name, spec.Source, strings.Join(spec.LeaveOut, ","))
	} else {
		r.log.add("define %s %s", spec.Name, spec.Source)
	}
	if spec.Name == r.failOn {
		return errors.New("build failed: broken")
	}
	r.sources[spec.Name] = spec.Source
	delete(r.parked, spec.Name)
	return nil
}

func (r *fakeRegistry) Delete(_ context.Context, name string) error {
	r.log.add("delete %s", name)
	delete(r.sources, name)
	return nil
}

func (r *fakeRegistry) Park(_ context.Context, name string) (registry.Parked, error) {
	r.log.add("park %s", name)
	if r.failPark {
		return registry.Parked{}, errors.New("disk full")
	}
	if _, ok := r.sources[name]; !ok {
		return registry.Parked{}, registry.ErrFunctionNotFound
	}
	delete(r.sources, name)
	p := registry.Parked{Name: name}
	r.parked[name] = p
	return p, nil
}

func (r *fakeRegistry) DefineLayer(_ context.Context, spec registry.LayerSpec) (registry.Layer, error) {
	r.log.add("layer %s", spec.Name)
	return registry.Layer{}, nil
}

// fakeRoutes serves a config; checkErr and serveErr are the gateway's
// objections.
type fakeRoutes struct {
	log                *ops
	running            *config.File
	checkErr, serveErr error
}

func (r *fakeRoutes) Running() *config.File { return r.running }

func (r *fakeRoutes) Check(*config.File) error { return r.checkErr }

func (r *fakeRoutes) Serve(f *config.File) error {
	r.log.add("serve")
	if r.serveErr != nil {
		return r.serveErr
	}
	r.running = f
	return nil
}

type fakeWatcher struct{ log *ops }

func (w fakeWatcher) Add(name, dir string) error { w.log.add("watch %s %s", name, dir); return nil }
func (w fakeWatcher) Remove(name string) error   { w.log.add("unwatch %s", name); return nil }

type fakeTriggers struct{ log *ops }

// Apply logs the function and the enabled clb triggers it is given:
// "triggers C mine".
func (t fakeTriggers) Apply(f config.Function, prev *config.Function) error {
	var clb []string
	for _, ct := range f.Triggers {
		if ct.Type == config.TriggerCLB && ct.Enabled {
			clb = append(clb, ct.Name)
		}
	}
	if len(clb) == 0 {
		t.log.add("triggers %s", f.Name)
	} else {
		t.log.add("triggers %s %s", f.Name, strings.Join(clb, ","))
	}
	return nil
}

// rig is a Reconciler over fakes, running old; each Reload reads next.
type rig struct {
	log     ops
	reg     *fakeRegistry
	routes  *fakeRoutes
	next    *config.File
	reports []Report
	r       *Reconciler
}

func newRig(old *config.File) *rig {
	g := &rig{}
	g.reg = &fakeRegistry{log: &g.log, sources: map[string]string{}, parked: map[string]registry.Parked{}, aliases: map[string][]string{},
		triggers: map[string][]registry.Trigger{}}
	for _, f := range old.Functions {
		g.reg.sources[f.Name] = f.Source
	}
	g.routes = &fakeRoutes{log: &g.log, running: old}
	n := 0
	g.r = New(Options{
		Path: "emulator.yaml", Registry: g.reg, Routes: g.routes, Watcher: fakeWatcher{&g.log}, Triggers: fakeTriggers{&g.log},
		Read: func(*config.File) ([]byte, error) {
			n++ // every save differs
			return []byte(fmt.Sprint(n)), nil
		},
		Parse: func([]byte) (*config.File, error) { return g.next, nil },
		Spec: func(f config.Function) registry.FunctionSpec {
			return registry.FunctionSpec{Name: f.Name, Source: f.Source}
		},
		Resolve: func(name string) { g.log.add("resolve %s", name) },
		Report:  func(r Report) { g.reports = append(g.reports, r) },
	})
	return g
}

// save reloads cur and returns the report of it.
func (g *rig) save(cur *config.File) Report {
	g.next = cur
	g.log = nil
	_ = g.r.Reload(context.Background())
	if len(g.reports) == 0 {
		return Report{}
	}
	return g.reports[len(g.reports)-1]
}

// check saves cur and checks the outcome: refused with wantErr, having
// done nothing, or, with wantErr "", applied by wantOps. It reports
// whether the edit was applied, for the caller's further checks.
func (g *rig) check(t *testing.T, cur *config.File, wantErr string, wantOps []string) (Report, bool) {
	t.Helper()
	before := g.routes.running
	rep := g.save(cur)
	if wantErr != "" {
		if rep.Err == nil || !strings.Contains(rep.Err.Error(), wantErr) {
			t.Fatalf("report error %v, want %q", rep.Err, wantErr)
		}
		if len(g.log) != 0 || g.routes.running != before {
			t.Errorf("a refused edit did %s", g.log)
		}
		return rep, false
	}
	if rep.Err != nil {
		t.Fatalf("edit refused: %v", rep.Err)
	}
	if !slices.Equal(g.log, wantOps) {
		t.Errorf("ops:\n got %s\nwant %s", g.log, ops(wantOps))
	}
	return rep, true
}

func fn(name, src string, line int) config.Function {
	return config.Function{Name: name, Source: src, Line: line}
}

func file(fns ...config.Function) *config.File {
	return &config.File{Path: "/abs/emulator.yaml", Functions: fns}
}

// running is the config the rig runs.
func (g *rig) running() *config.File { return g.routes.running }

func (o ops) String() string { return strings.Join(o, "; ") }
