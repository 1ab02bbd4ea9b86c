package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/capacity"
	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/eventsource"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/reconcile"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/docker"
	"github.com/scf-emulator/emulator/tc3"
	"github.com/scf-emulator/emulator/watch"
)

// AppConfig is what `emulator up` is started with.
type AppConfig struct {
	ConfigPath   string // "" starts an empty emulator (see chooseStart)
	Runtime      string // auto | process | docker
	GatewayAddr  string
	AdminAddr    string
	StateDir     string // "" = .emulator beside the config file (in the working folder without one)
	Seed         uint64
	IdleTimeout  time.Duration
	MaxInstances int
	// SecretID and SecretKey turn on signature verification of the cloud API.
	SecretID, SecretKey string
	// Images overrides runtime images (RUNTIME=IMAGE), docker runtime only.
	Images []string
	// Pull is when the docker runtime pulls images: always, missing
	// ("", the default) or never.
	Pull string
	// Insecure allows a non-loopback admin address without credentials.
	Insecure bool
	// AdminHosts are further Host names the admin address answers to.
	AdminHosts []string
	// GatewayHosts are further Host names the gateway answers to ("*": any);
	// the host of GatewayAddr is one without being named.
	GatewayHosts []string
	// MetricsPublic leaves /metrics open with credentials set.
	MetricsPublic bool
	Debug         []runtime.DebugTarget // versions run under a debugger (--debug)
	DiffRedact    []string              // headers masked in stored diff examples (--diff-redact)
	Logger        *slog.Logger
	// Events receives what the console shows; nil discards.
	Events Events

	// RecordRequests is how many gateway requests each function keeps for
	// `emulator logs --requests` (0: none); AccessLog a file all go to.
	RecordRequests int
	AccessLog      string
}

// Events is how the App reports to the console.
type Events interface {
	Request(gateway.Record)
	Invoke(invokeRecord)
	Reload(function string, r registry.Refresh, took time.Duration, err error)
	// ConfigReload reports an edit of the config file applied or refused.
	ConfigReload(ConfigReport)
	// ConfigNotes are warnings about an applied edit: what it leaves that
	// answers errors (a stage bound to a missing alias, bare URLs with
	// several services).
	ConfigNotes([]string)
	LayerReload(LayerReport) // an edited layer folder and the $LATEST functions that run it now
	// Defined reports one function of the config loaded at start-up (its build
	// run and its source snapshotted), for progress output.
	Defined(function, build string, took time.Duration, err error)
	// Rollout reports a change of a rollout (a step, a check, the end).
	Rollout(rollout.Status)
	// Pull reports the progress of an image pull at start-up.
	Pull(runtime.PullProgress)
	// Image reports how a function's image was resolved at start-up;
	// onProcess when it runs on the process runtime for want of it.
	Image(function string, res runtime.ImageResolution, onProcess bool)
}

// logsDir is the state folder's folder of invocation logs (package logstore).
const logsDir = "logs"

// App is one running emulator: registry, runtime, gateway, cloud API, watcher.
type App struct {
	cfg         AppConfig
	file        *config.File
	reg         *registry.Registry
	logs        *logstore.Store
	met         *metrics.Metrics
	mgr         *runtime.Manager
	debug       debugRig       // --debug: mgr with debugged versions marked, and the process runtime
	docker      *docker.Docker // nil with the process runtime
	mixed       *runtime.Mixed // --runtime auto on docker: per-function process fallback
	runtimeDesc string
	eng         *engine.Engine
	capa        *capacity.Store // provisioned and reserved concurrency
	gw          *gateway.Gateway
	rollouts    *rollout.Manager
	diffs       *diff.Store      // compared shadow copies (diffs.go)
	requests    requestLog       // recorded gateway requests (requests.go)
	trig        *eventsource.Rig // timer, cos, ckafka and cmq triggers; async events
	watcher     *watch.Watcher
	live        configLive // emulator.yaml edits applied while running (package reconcile)
	gwLn        net.Listener
	adminLn     net.Listener
	guard       *admin.Guard
	adminSrv    *admin.Server
	servers     []*http.Server // [0] the gateway's handler (served by gwSrv), [1] the admin's
	gwSrv       *gateway.Server
	stateDir    string
	wg          sync.WaitGroup // serving goroutines and the watcher loop

	notesMu    sync.Mutex        // guards imageNotes
	imageNotes map[string]string // function -> why it runs on the process runtime
}

// NewApp loads the config, restores state, snapshots every function and opens
// the listeners. Nothing is served until Run.
func NewApp(ctx context.Context, cfg AppConfig) (_ *App, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Events == nil {
		cfg.Events = nopEvents{}
	}
	file, err := loadConfig(cfg.ConfigPath)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, file: file}
	defer func() {
		// Undo whatever was opened: the state lock, processes, listeners.
		if err != nil {
			a.Close(context.WithoutCancel(ctx))
		}
	}()
	a.stateDir = cfg.StateDir
	if a.stateDir == "" {
		a.stateDir = ".emulator" // made absolute below
		if file.Path != "" {
			a.stateDir = filepath.Join(configDir(file.Path), ".emulator")
		}
	}
	if a.stateDir, err = filepath.Abs(a.stateDir); err != nil {
		return nil, err
	}
	a.reg, err = registry.Open(registry.Options{Dir: a.stateDir, Logger: cfg.Logger.With("component", "registry"), Seed: cfg.Seed})
	if errors.Is(err, registry.ErrStateLocked) {
		// Two `up` in one folder: the second must not touch the first.
		return nil, fmt.Errorf("%w: another emulator runs on this state dir; stop it (Ctrl-C in its terminal), or give this one its own with --state-dir", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open state in %s: %w", a.stateDir, err)
	}
	a.logs, err = logstore.Open(logstore.Options{Dir: filepath.Join(a.stateDir, logsDir), Logger: cfg.Logger.With("component", "logstore")})
	if err != nil {
		return nil, fmt.Errorf("open logs in %s: %w", a.stateDir, err)
	}
	a.met = metrics.New(metrics.Options{})
	if err := a.openDiffs(); err != nil {
		return nil, err
	}
	if err := defineLayers(ctx, a.reg, file); err != nil {
		return nil, err
	}
	for _, f := range file.Functions {
		start := time.Now()
		spec, err := a.restoreSpec(file, f)
		if err != nil {
			return nil, err // a *config.Problem, with file:line
		}
		if err = a.reg.Define(ctx, spec); err != nil {
			err = reconcile.DefineError(a.reg, file.Path, f, err)
		}
		cfg.Events.Defined(f.Name, f.Build, time.Since(start), err)
		if err != nil {
			return nil, err
		}
	}
	file.Warnings = append(file.Warnings, a.unboundStages(file)...)
	if err := a.parkRemoved(ctx, file); err != nil {
		return nil, err
	}
	a.dropOrphanLogs()
	rt, desc, err := a.newRuntime(ctx)
	if err != nil {
		return nil, err
	}
	a.runtimeDesc = desc
	a.mgr = runtime.NewManager(rt, runtime.Options{
		MaxInstances: cfg.MaxInstances, IdleTimeout: cfg.IdleTimeout, Logger: cfg.Logger.With("component", "runtime"),
	})
	a.eng = engine.New(a.reg, a.newDebugger(), engine.Options{Logger: cfg.Logger.With("component", "engine"), Logs: a.logs, Metrics: a.met, Comparer: a.diffs})
	if a.capa, err = openCapacity(ctx, a.stateDir, file, a.reg, a.mgr, a.eng, cfg.Logger.With("component", "capacity")); err != nil {
		return nil, fmt.Errorf("capacity settings: %w", err)
	}
	if err := a.resolveImages(ctx); err != nil {
		return nil, err
	}
	a.trig = eventsource.New(a.reg, a.eng, cfg.Logger.With("component", "trigger"), a.stateDir)
	if err := a.applyConfigTriggers(file); err != nil {
		return nil, err
	}
	a.rollouts, err = rollout.New(rollout.Options{Dir: a.stateDir, Aliases: a.reg, Metrics: a.met, Diffs: a.diffs,
		Parking: a.reg, Invoker: hookInvoker{eng: a.eng}, Logger: cfg.Logger.With("component", "rollout")})
	if err != nil {
		return nil, fmt.Errorf("rollouts: %w", err)
	}
	a.reg.Subscribe(a.rollouts.OnChange) // parked, restored and deleted functions hold, resume and end theirs
	showRollout := rolloutChanges(cfg.Events.Rollout)
	a.rollouts.Subscribe(showRollout)
	for _, st := range a.rollouts.List("") {
		if !st.State.Terminal() {
			showRollout(st) // resumed from the last run, or held for a parked function
		}
	}
	a.gw = gateway.New(gatewayBackend{eng: a.eng, diffs: a.diffs}, gateway.Options{Logger: cfg.Logger.With("component", "gateway"), Observe: cfg.Events.Request, Recorder: a.requests.gatewayRecorder()})
	if err := a.gw.SetServices(a.services()); err != nil {
		return nil, fmt.Errorf("%s: services: %w", file.Path, err)
	}
	a.watcher, err = watch.New(a.reload, watch.Options{Logger: cfg.Logger.With("component", "watch")})
	if err != nil {
		return nil, err
	}
	for _, f := range a.reg.Functions() {
		if err := a.watcher.Add(f.Name, f.Source); err != nil {
			// A vanished folder (config ones are checked above) never stops start-up.
			cfg.Logger.Warn("cannot watch the function's source; it runs from its last snapshot", "function", f.Name, "source", f.Source, "err", err)
		}
		if f.Source == a.reg.ManagedSourceDir(f.Name) {
			// Functions created through the API are not in the config; pick
			// up edits made to their source while the emulator was down.
			if _, err := a.reg.RefreshLatest(ctx, f.Name); err != nil {
				cfg.Logger.Warn("refresh of an API-created function failed", "function", f.Name, "err", err)
			}
		}
	}
	a.live.rec = a.newReconciler()
	a.live.rec.WatchLayers(file.Layers)
	a.reg.Subscribe(a.onChange)
	if err := a.watchConfig(); err != nil {
		return nil, err
	}

	if err := api.RequireCredentials(cfg.AdminAddr, cfg.SecretID != "", cfg.Insecure); err != nil {
		return nil, err
	}
	if a.gwLn, err = net.Listen("tcp", cfg.GatewayAddr); err != nil {
		return nil, fmt.Errorf("gateway address: %w", err)
	}
	if a.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
		return nil, fmt.Errorf("admin address: %w", err)
	}
	// TolerantListener: tccli sends Host: http://... NewListener: at most
	// 256 admin connections (more wait to be accepted, each taking the
	// place of the connection idle longest between requests, if any:
	// ConnState below tells them), and one whose
	// client stops reading an answer for 60 s is cut, where net/http's
	// WriteTimeout would cut the log-follow and rollout-watch streams.
	adminGuard := gateway.NewListener(a.adminLn, 256, 0, cfg.Logger.With("component", "admin-server"))
	a.adminLn = api.TolerantListener(adminGuard)
	replay := tc3.NewReplay(0) // one for every signed endpoint: a signature serves one action
	apiOpts := api.Options{
		Logger: cfg.Logger.With("component", "api"), SecretID: cfg.SecretID, SecretKey: cfg.SecretKey,
		GatewayURL: a.GatewayURL(), ServiceURL: a.serviceBaseURL, ServiceNames: a.configServiceNames, Replay: replay,
		Async: a.trig, BucketRoot: filepath.Join(a.stateDir, "buckets"), Capacity: capacityAPI{a.capa, a.mgr},
	}
	if err := apiOpts.Validate(); err != nil {
		return nil, err
	}
	apiSrv := api.New(apiBackend{Registry: a.reg, eng: a.eng, logs: a.logs, observe: cfg.Events.Invoke, trig: a.trig}, apiOpts)
	a.guard, a.adminSrv = a.newAdmin(apiSrv, replay)
	a.servers = []*http.Server{
		{Handler: gateway.NewHostGuard(eventsource.NewCLB(a.reg, a.eng, a.gw), append([]string{cfg.GatewayAddr}, cfg.GatewayHosts...),
			cfg.Logger.With("component", "gateway")), ReadHeaderTimeout: 10 * time.Second},
		{Handler: a.guard.Wrap(a.adminSrv), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			ConnState: adminGuard.ConnState}, // at the cap, the connection idle longest makes room
	}
	// The gateway listener runs the gateway's own HTTP/1.1 server loop with
	// servers[0]'s handler (net/http's server was a third of its CPU per
	// web request).
	a.gwSrv = &gateway.Server{Handler: a.servers[0].Handler, ReadHeaderTimeout: 10 * time.Second,
		Logger: cfg.Logger.With("component", "gateway-server")}
	return a, a.startDebugged(ctx)
}

// dropOrphanLogs forgets the logs of functions that are neither defined
// nor parked: a kill between a deletion and the removal of its log files
// leaves them, and a function created later under that name would show
// them as its own.
func (a *App) dropOrphanLogs() {
	for _, nf := range a.logs.Functions() {
		if _, err := a.reg.Function(nf[1]); err == nil {
			continue
		}
		if _, ok := a.reg.ParkedFunction(nf[1]); ok {
			continue
		}
		a.cfg.Logger.Info("logs of a deleted function dropped", "namespace", nf[0], "function", nf[1])
		_ = a.logs.Forget(nf[0], nf[1])
	}
}

// Run serves until ctx ends, then shuts down.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, len(a.servers))
	for i, ln := range []net.Listener{a.gwLn, a.adminLn} {
		serve := a.servers[i].Serve
		if i == 0 {
			serve = a.gwSrv.Serve
		}
		a.wg.Go(func() {
			if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		})
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	a.wg.Go(func() { _ = a.watcher.Run(watchCtx) })
	a.wg.Go(func() { _ = a.live.watch.Run(watchCtx) })
	a.trig.Start()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopWatch()
	return errors.Join(err, a.Close(context.WithoutCancel(ctx)))
}

// Close stops serving, stops every instance and closes the state. In-flight
// requests get a few seconds to finish.
func (a *App) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if a.adminSrv != nil {
		a.adminSrv.Close() // ends log-follow and rollout-watch streams first
	}
	var errs []error
	if a.gwSrv != nil {
		errs = append(errs, a.gwSrv.Shutdown(ctx))
	}
	for _, s := range a.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	a.servers = nil
	for _, ln := range []net.Listener{a.gwLn, a.adminLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if a.live.watch != nil {
		errs = append(errs, a.live.watch.Close())
	}
	if a.watcher != nil {
		errs = append(errs, a.watcher.Close())
	}
	if a.rollouts != nil {
		a.rollouts.Close() // leaves aliases as they are: the next start resumes
	}
	a.trig.Close() // before the engine: in-flight trigger calls end first
	if a.eng != nil {
		a.eng.Close()
	}
	if a.mgr != nil {
		errs = append(errs, a.mgr.Close(ctx))
	}
	if a.docker != nil {
		// After the manager: removes any container of this session still there.
		errs = append(errs, a.docker.Close(ctx))
	}
	a.wg.Wait()
	errs = append(errs, a.closeDiffs())
	if a.logs != nil {
		errs = append(errs, a.logs.Close())
	}
	if a.reg != nil {
		errs = append(errs, a.reg.Close())
	}
	return errors.Join(errs...)
}
