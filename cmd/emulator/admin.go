package main

import (
	"errors"
	"net/http"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/dashboard"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/tc3"
)

// signService is the credential scope's service, as for the cloud API.
const signService = "scf"

// readOnlyReason is what the dashboard says when the cloud API verifies
// signatures: a browser page has no secret key to sign UpdateAlias with.
const readOnlyReason = "the cloud API verifies TC3 signatures (--secret-id/--secret-key) and this page cannot sign requests, " +
	"so alias edits and rollbacks are off here; use the emulator CLI or an SDK with the keys."

// newAdmin wires the admin address: its endpoints read the emulator's
// parts, the dashboard and the cloud API (apiSrv) are mounted beside them,
// and the guard, checking signatures with the API's replay memory, goes in
// front of them all.
func (a *App) newAdmin(apiSrv http.Handler, replay *tc3.Replay) (*admin.Guard, *admin.Server) {
	cfg := a.cfg
	verifier := adminVerifier(cfg, replay)
	guard := admin.New(admin.Options{AdminAddr: cfg.AdminAddr, Hosts: cfg.AdminHosts, Verifier: verifier,
		MetricsPublic: cfg.MetricsPublic, Logger: cfg.Logger.With("component", "admin")})
	dopts := dashboard.Options{MaxWindow: metrics.DefaultWindow, Logger: cfg.Logger.With("component", "dashboard"),
		WriteError: dashboardError, Debug: dashDebug(a.cfg.Debug), Instances: dashInstances{a.mgr}}
	if cfg.SecretID != "" || cfg.SecretKey != "" {
		dopts.ReadOnly = readOnlyReason
	}
	srv := admin.NewServer(admin.ServerOptions{
		Logs: a.logs, Metrics: a.met, Instances: liveInstances{a.mgr}, Registry: a.reg, Rollouts: a.rollouts,
		Gateway: a.gw, Info: a, Diffs: a.newDiffService(), Dashboard: dashboard.New(dashSource{reg: a.reg, met: a.met}, dopts), API: apiSrv,
		Signed: verifier != nil, Requests: a.requests.admin(), Parked: a.reg,
	})
	a.registerTriggerEndpoints(srv)
	return guard, srv
}

// adminVerifier checks the signatures of the /emulator/* endpoints with the
// cloud API's credentials and replay memory; nil without credentials. With
// half a credential no key is known, so everything is refused.
func adminVerifier(cfg AppConfig, replay *tc3.Replay) admin.Verifier {
	if cfg.SecretID == "" && cfg.SecretKey == "" {
		return nil
	}
	keys := map[string]string{}
	if cfg.SecretID != "" && cfg.SecretKey != "" {
		keys[cfg.SecretID] = cfg.SecretKey
	}
	return &tc3.Verifier{Service: signService, Keys: keys, Replay: replay}
}

// liveInstances maps the runtime's pools to admin.Instances.
type liveInstances struct{ mgr *runtime.Manager }

func (l liveInstances) Instances() []admin.InstanceCount {
	st := l.mgr.Stats()
	out := make([]admin.InstanceCount, len(st))
	for i, s := range st {
		out[i] = admin.InstanceCount{Function: s.Spec.Function, Version: s.Spec.Version, Live: s.Live,
			Namespace: s.Spec.Namespace, Provisioned: min(s.Live, s.Provisioned)}
	}
	return out
}

// Info describes this emulator for GET /emulator/info.
func (a *App) Info() admin.Info {
	v, commit, gover := buildVersion()
	return admin.Info{
		Gateway: admin.ReachableURL(a.gwLn.Addr()), Admin: admin.ReachableURL(a.adminLn.Addr()),
		Version: v, Commit: commit, Go: gover, Runtime: a.runtimeDesc,
		Functions: len(a.reg.Functions()), Config: a.file.Path, StateDir: a.stateDir,
	}
}

// GatewayURL and AdminURL are the listening addresses as URLs.
func (a *App) GatewayURL() string { return "http://" + a.gwLn.Addr().String() }

// AdminURL is the management API's base URL.
func (a *App) AdminURL() string { return "http://" + a.adminLn.Addr().String() }

// LoginURL opens the dashboard and logs the browser in; "" when the admin
// address asks for no authentication.
func (a *App) LoginURL() string {
	if t := a.guard.LoginToken(); t != "" {
		return a.AdminURL() + "/?token=" + t
	}
	return ""
}

// dashboardError answers the dashboard's refusals through the admin
// address's one error writer.
func dashboardError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, dashboard.ErrBadParameter):
		err = admin.As(err, admin.ErrBadRequest)
	case errors.Is(err, dashboard.ErrNotFound):
		err = admin.As(err, admin.ErrNotFound)
	}
	admin.WriteError(w, r, err)
}
