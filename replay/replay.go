package replay

import (
	"context"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
)

// Request is one replay: the body of POST /emulator/diff/replay.
type Request struct {
	Stage string `json:"stage"`
	// Service names the gateway service; "" takes the only one.
	Service string `json:"service,omitempty"`
	// ToVersion and CompareVersion are the candidate and the primary; ""
	// takes the alias's shadow version and primary version.
	ToVersion      string         `json:"toVersion,omitempty"`
	CompareVersion string         `json:"compareVersion,omitempty"`
	Requests       []diff.Request `json:"requests"`
}

// Backend runs the replayed requests: the live gateway's Backend without
// its routing.
type Backend interface {
	Invoke(ctx context.Context, t gateway.Target, requestID string, event []byte) ([]byte, error)
	Serve(ctx context.Context, t gateway.Target, requestID string, fn func(ctx context.Context, addr string) error) error
	// Direct is the target of version of function, reached through
	// qualifier whatever the qualifier routes to; the engine's error (a
	// missing function or version) when there is none.
	Direct(function, qualifier, version string) (gateway.Target, error)
}

// Aliases reads the alias a stage routes to, whose primary and shadow
// versions are the versions a Request leaves out; an error when the
// qualifier is no alias.
type Aliases interface {
	Alias(function, name string) (registry.Alias, error)
}

// Routes is the live gateway's table: its services are served again by the
// replay's gateway, and a function's routes name the endpoints.
type Routes interface {
	Services() []gateway.Service
	Routes(function string) []gateway.Route
}

// Store keeps the compared requests beside the shadow copies'.
type Store interface {
	Add(s diff.Sample)
}

// Replayer replays recorded requests. It is safe for concurrent use: each
// Replay builds a gateway of its own.
type Replayer struct {
	backend Backend
	aliases Aliases
	routes  Routes
	store   Store
}

// New returns a Replayer running requests on b, with the versions of a's
// aliases and the routes of r, keeping every compared request in s.
func New(b Backend, a Aliases, r Routes, s Store) *Replayer {
	return &Replayer{backend: b, aliases: a, routes: r, store: s}
}

// Replay sends every recorded request to the compare version (twice for a
// noise sample) and to the new version, and reports the differences per
// function, in the order the functions first appear. A function that fails
// or answers an error is an answer like any other, compared; Replay fails
// only when a request cannot be pinned (ErrNoVersion, the Backend's
// error), is no HTTP request (ErrInvalidRequest, before anything runs), or
// ctx ends (ctx's error). Samples compared before a failure stay stored;
// one whose answers came after ctx ended is dropped.
func (rp *Replayer) Replay(ctx context.Context, req Request) ([]diff.Report, error) {
	targets, err := requestTargets(req)
	if err != nil {
		return nil, err
	}
	g := gateway.New(pinned{Backend: rp.backend, aliases: rp.aliases}, gateway.Options{})
	defer g.Close()
	if err := g.SetServices(rp.routes.Services()); err != nil {
		return nil, err
	}
	byFn := map[string][]diff.Sample{}
	var order []string
	seen := map[string]int{}
	for i, rr := range req.Requests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := rp.compare(ctx, g, &req, rr, targets[i], seen)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil { // answers cut short are no evidence
			return nil, err
		}
		if byFn[s.Function] == nil {
			order = append(order, s.Function)
		}
		byFn[s.Function] = append(byFn[s.Function], s)
		rp.store.Add(s)
	}
	out := make([]diff.Report, 0, len(order))
	for _, fn := range order {
		out = append(out, diff.Summarize(byFn[fn], diff.NewRedactor()))
	}
	return out, nil
}

// compare runs one recorded request on both versions, and on the primary
// again when the endpoint, counted in seen, is due a noise sample.
func (rp *Replayer) compare(ctx context.Context, g http.Handler, req *Request, rr diff.Request, target string, seen map[string]int) (diff.Sample, error) {
	prim := &pin{role: rolePrimary, req: req}
	primary := send(ctx, g, req, rr, target, prim)
	if prim.err != nil {
		return diff.Sample{}, prim.err
	}
	cand := &pin{role: roleCandidate, req: req}
	candidate := send(ctx, g, req, rr, target, cand)
	if cand.err != nil {
		return diff.Sample{}, cand.err
	}
	s := diff.Sample{Time: time.Now(), Function: prim.function, Alias: prim.qualifier, Primary: prim.version, Candidate: cand.version,
		Endpoint: rp.endpoint(prim.function, req.Stage, rr), Request: rr, PrimaryAnswer: primary, CandidateAnswer: candidate}
	if diff.NoiseSample(seen[s.Endpoint]) { // as for shadow copies
		again := send(ctx, g, req, rr, target, &pin{role: rolePrimary, req: req})
		s.Rerun = &again
	}
	seen[s.Endpoint]++
	return s, nil
}
