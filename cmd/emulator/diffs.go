package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
)

// The App's diff results: shadow copies in diff mode are compared by the
// gateway (gateway.Comparer) and kept in a diff.Store in the state
// directory; GET /emulator/diff, the dashboard and the rollout gate
// max-diff-rate read it; POST /emulator/diff/replay compares recorded
// requests.

// openDiffs opens the diff results of the state directory.
func (a *App) openDiffs() (err error) {
	a.diffs, err = diff.Open(a.stateDir, diff.NewRedactor(a.cfg.DiffRedact...), a.cfg.Logger.With("component", "diff"))
	if err != nil {
		return fmt.Errorf("open diff results in %s: %w", a.stateDir, err)
	}
	return a.openRequests()
}

// closeDiffs writes the diff results; after the engine, whose copies add
// to them, has stopped.
func (a *App) closeDiffs() error {
	err := a.requests.close()
	if a.diffs == nil {
		return err
	}
	return errors.Join(err, a.diffs.Close())
}

var _ gateway.Comparer = gatewayBackend{}

// WantRerun picks the noise samples.
func (b gatewayBackend) WantRerun(t gateway.Target, endpoint string) bool {
	return b.diffs != nil && b.diffs.WantRerun(t.Function, t.Version, endpoint)
}

// Compare keeps one compared copy.
func (b gatewayBackend) Compare(s diff.Sample) {
	if b.diffs != nil {
		b.diffs.Add(s)
	}
}

// diffService is admin.Diffs: the store's reports, and replays through a
// gateway of their own whose backend pins the versions.
type diffService struct {
	store *diff.Store
	gw    *gateway.Gateway
	eng   *engine.Engine
	reg   *registry.Registry
}

var _ admin.Diffs = diffService{}

func (d diffService) Report(q diff.Query) diff.Report { return d.store.Report(q) }

// replayKey carries the version a replayed request must run on.
type replayKey struct{}

// replayPin is one replayed request's choice: the version to run, filled
// in by the backend from the alias and the request's role.
type replayPin struct {
	role                string // "compare" or "to"
	req                 admin.ReplayRequest
	function, qualifier string
	version             string
	err                 error
}

// replayBackend is the App's gateway backend with routing replaced: every
// request runs on the version its replayPin names.
type replayBackend struct{ gatewayBackend }

func (b replayBackend) Resolve(ctx context.Context, fn, q string, _ http.Header) (gateway.Target, error) {
	pin, _ := ctx.Value(replayKey{}).(*replayPin)
	if pin == nil {
		return gateway.Target{}, fmt.Errorf("replay: request without a version")
	}
	pin.function, pin.qualifier = fn, q
	v := pin.req.CompareVersion
	if pin.role == "to" {
		v = pin.req.ToVersion
	}
	if v == "" {
		al, err := b.reg.Alias(fn, q)
		switch {
		case err != nil:
			pin.err = fmt.Errorf("stage %s routes %s to %s, which is no alias: give --to-version and --compare-version", pin.req.Stage, fn, q)
		case pin.role == "compare":
			v = al.FunctionVersion
		case al.Shadow != nil:
			v = al.Shadow.Version
		default:
			pin.err = fmt.Errorf("alias %s of %s has no shadow version: give --to-version", q, fn)
		}
		if pin.err != nil {
			return gateway.Target{}, pin.err
		}
	}
	pin.version = v
	t, err := b.eng.Direct(fn, q, v, registry.RouteDirect)
	if err != nil {
		pin.err = err
		return gateway.Target{}, err
	}
	return gateway.Target{Function: fn, Namespace: registry.DefaultNamespace, Qualifier: q, Version: t.Version,
		Route: string(t.Route), Type: t.Config.Type, MemoryMB: t.Config.MemorySize, TimeoutSec: t.Config.Timeout, Handle: t}, nil
}

// Replay sends every recorded request to the compare version (twice for a
// noise sample) and to the new version, through a gateway serving the same
// routes, and reports the differences per function. The samples are kept
// in the store too: they are evidence for the rollout gate.
func (d diffService) Replay(ctx context.Context, req admin.ReplayRequest) ([]diff.Report, error) {
	g := gateway.New(replayBackend{gatewayBackend{eng: d.eng, reg: d.reg}}, gateway.Options{})
	defer g.Close()
	if err := g.SetServices(d.gw.Services()); err != nil {
		return nil, err
	}
	byFn := map[string][]diff.Sample{}
	var order []string
	seen := map[string]int{}
	for _, rr := range req.Requests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pin := &replayPin{role: "compare", req: req}
		primary := replayOnce(ctx, g, req, rr, pin)
		if pin.err != nil {
			return nil, pin.err
		}
		cand := &replayPin{role: "to", req: req}
		candidate := replayOnce(ctx, g, req, rr, cand)
		if cand.err != nil {
			return nil, cand.err
		}
		s := diff.Sample{Time: time.Now(), Function: pin.function, Alias: pin.qualifier, Primary: pin.version, Candidate: cand.version,
			Endpoint: d.endpoint(pin.function, req.Stage, rr), Request: rr, PrimaryAnswer: primary, CandidateAnswer: candidate}
		if n := seen[s.Endpoint]; n < 10 || n%10 == 0 {
			again := replayOnce(ctx, g, req, rr, &replayPin{role: "compare", req: req})
			s.Rerun = &again
		}
		seen[s.Endpoint]++
		if byFn[s.Function] == nil {
			order = append(order, s.Function)
		}
		byFn[s.Function] = append(byFn[s.Function], s)
		d.store.Add(s)
	}
	out := make([]diff.Report, 0, len(order))
	for _, fn := range order {
		out = append(out, diff.Summarize(byFn[fn], diff.NewRedactor()))
	}
	return out, nil
}

// replayOnce runs one recorded request through g and returns the answer.
func replayOnce(ctx context.Context, g *gateway.Gateway, req admin.ReplayRequest, rr diff.Request, pin *replayPin) diff.Answer {
	path := "/" + req.Stage + rr.Path
	if !strings.HasPrefix(rr.Path, "/") {
		path = "/" + req.Stage + "/" + rr.Path
	}
	r := httptest.NewRequestWithContext(context.WithValue(ctx, replayKey{}, pin), rr.Method, path, strings.NewReader(rr.Body))
	r.Header = rr.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	switch h := r.Header.Get("Host"); {
	case h != "":
		r.Host = h
	case req.Service != "":
		r.Host = strings.ToLower(req.Service) + ".localhost"
	case rr.Host != "": // where it was recorded
		r.Host = rr.Host
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	body := w.Body.String()
	a := diff.Answer{Status: w.Code, Header: w.Result().Header, Body: body}
	if len(body) > diff.DefaultBodyBytes {
		a.Body, a.Truncated = body[:diff.DefaultBodyBytes], true
	}
	return a
}

// endpoint is the method and API path template a replayed request matched,
// or its path when no template matches.
func (d diffService) endpoint(fn, stage string, rr diff.Request) string {
	path, _, _ := strings.Cut(rr.Path, "?")
	for _, rt := range d.gw.Routes(fn) {
		if rt.Stage == stage && (rt.Method == "ANY" || strings.EqualFold(rt.Method, rr.Method)) && templateMatches(rt.Path, path) {
			return rr.Method + " " + rt.Path
		}
	}
	return rr.Method + " " + path
}

// templateMatches matches a path against a mux template whose {vars} take
// one segment each.
func templateMatches(tmpl, path string) bool {
	ts, ps := strings.Split(strings.Trim(tmpl, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if !(strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}")) && t != ps[i] {
			return false
		}
	}
	return true
}
