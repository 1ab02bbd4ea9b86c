package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
)

// Hand-written fakes of the Server's sources.

type fakeLogs struct {
	records  []logstore.Record // newest first, as Query answers OrderDesc
	follow   chan logstore.Record
	followed chan struct{} // receives once per Follow, when not nil
	asked    logstore.Query
}

func (f *fakeLogs) Query(q logstore.Query) ([]logstore.Record, int) {
	f.asked = q
	n := min(q.Limit, len(f.records))
	return f.records[:n], len(f.records)
}

func (f *fakeLogs) Follow(context.Context, logstore.Query) <-chan logstore.Record {
	if f.followed != nil {
		f.followed <- struct{}{}
	}
	return f.follow
}

type fakeMetrics struct {
	mu        sync.Mutex // guards instances
	instances map[string]int
	window    time.Duration
}

func (f *fakeMetrics) Stats(function string, window time.Duration) []metrics.VersionStats {
	f.window = window
	return []metrics.VersionStats{{Version: "1", Invocations: 3}}
}

func (f *fakeMetrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_, _ = io.WriteString(w, "# TYPE scf_instances gauge\n")
		for k, n := range f.instances {
			fmt.Fprintf(w, "scf_instances{%s} %d\n", k, n)
		}
	})
}

func (f *fakeMetrics) SetInstances(function, version string, live int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.instances == nil {
		f.instances = map[string]int{}
	}
	f.instances[function+"/"+version] = live
}

type fakeInstances []InstanceCount

func (f fakeInstances) Instances() []InstanceCount { return f }

type fakeRegistry struct {
	aliases  []registry.Alias
	aliasErr error
}

func (fakeRegistry) Function(name string) (registry.Function, error) {
	if name != "B" {
		return registry.Function{}, fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, name)
	}
	return registry.Function{Name: name}, nil
}

func (f fakeRegistry) Aliases(string, string) ([]registry.Alias, error) { return f.aliases, f.aliasErr }

type fakeRollouts struct {
	mu         sync.Mutex // guards subs
	subs       []func(rollout.Status)
	subscribed chan struct{} // receives once per Subscribe

	startErr error
	started  rollout.Plan
	statuses []rollout.Status
	abortErr error
	aborted  AbortRequest
}

func (f *fakeRollouts) Start(_ context.Context, p rollout.Plan) (rollout.Status, error) {
	f.started = p
	if f.startErr != nil {
		return rollout.Status{}, f.startErr
	}
	return rollout.Status{ID: "r1", Function: p.Function, Alias: p.Alias, State: rollout.StateRunning}, nil
}

func (f *fakeRollouts) Get(function, alias string) (rollout.Status, bool) {
	for _, st := range f.statuses {
		if st.Function == function && st.Alias == alias {
			return st, true
		}
	}
	return rollout.Status{}, false
}

func (f *fakeRollouts) List(function string) []rollout.Status {
	var out []rollout.Status
	for _, st := range f.statuses {
		if function == "" || st.Function == function {
			out = append(out, st)
		}
	}
	return out
}

func (f *fakeRollouts) Subscribe(fn func(rollout.Status)) func() {
	f.mu.Lock()
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
	if f.subscribed != nil {
		f.subscribed <- struct{}{}
	}
	return func() {}
}

func (f *fakeRollouts) publish(st rollout.Status) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, fn := range subs {
		fn(st)
	}
}

func (f *fakeRollouts) Abort(function, alias, reason string) (rollout.Status, error) {
	f.aborted = AbortRequest{Function: function, Alias: alias, Reason: reason}
	if f.abortErr != nil {
		return rollout.Status{}, f.abortErr
	}
	return rollout.Status{ID: "r1", Function: function, Alias: alias, State: rollout.StateAborted}, nil
}

type fakeGateway struct{}

func (fakeGateway) Services() []gateway.Service { return make([]gateway.Service, 2) }

func (fakeGateway) Routes(fn string) []gateway.Route {
	return []gateway.Route{{Service: "A", Stage: "release", Path: "/hello", Method: "ANY", Qualifier: "canary"}}
}

type fakeInfo struct{}

func (fakeInfo) Info() Info {
	return Info{Gateway: "http://127.0.0.1:8080", Version: "dev", Functions: 1}
}

// fakeDashboard mounts one route, as the dashboard mounts its page.
type fakeDashboard struct{}

func (fakeDashboard) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "page") })
}

// fakeAPI answers everything else, as the cloud API does.
var fakeAPI = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "api") })

// sources is one set of fakes and the Server over them.
type sources struct {
	logs     *fakeLogs
	met      *fakeMetrics
	reg      *fakeRegistry
	rollouts *fakeRollouts
	srv      *Server
}

func newSources(signed bool) *sources {
	s := &sources{
		logs: &fakeLogs{}, met: &fakeMetrics{}, reg: &fakeRegistry{}, rollouts: &fakeRollouts{},
	}
	s.srv = NewServer(ServerOptions{
		Logs: s.logs, Metrics: s.met, Registry: s.reg, Rollouts: s.rollouts, Gateway: fakeGateway{}, Info: fakeInfo{},
		Instances: fakeInstances{{Function: "B", Version: "1", Live: 1}, {Function: "B", Version: "1", Live: 2}, {Function: "B", Version: "2", Live: 1}},
		Dashboard: fakeDashboard{}, API: fakeAPI, Signed: signed,
	})
	return s
}
