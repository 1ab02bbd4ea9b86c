package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/splitstat"
)

const splitTestUsage = "FUNCTION [--stage release] [--path /hello] [-n 10000] [--header User=Bob]... [--concurrency 16] [--method GET] [--timeout 2m] [--gateway URL] [--endpoint URL] [--users N]"

// errSplitOff is wrapped by the error split-test returns when the observed
// split does not match the configured one.
var errSplitOff = errors.New("split is off")

// splitTest is one split-test run's settings.
type splitTest struct {
	function, stage, path, method string
	namespace                     string // --namespace; "" is the default
	n, concurrency, users         int
	timeout                       time.Duration
	gateway, endpoint             string
	header                        http.Header
}

func cmdSplitTest(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("split-test", flag.ContinueOnError)
	st := splitTest{header: http.Header{}}
	fs.StringVar(&st.stage, "stage", "", "API Gateway stage (default: the only one serving the function)")
	fs.StringVar(&st.path, "path", "", "request path below the stage (default: the route's path)")
	fs.IntVar(&st.n, "n", 1000, "requests to send")
	fs.IntVar(&st.concurrency, "concurrency", 16, "requests in flight at once")
	fs.StringVar(&st.method, "method", http.MethodGet, "HTTP method")
	fs.DurationVar(&st.timeout, "timeout", 2*time.Minute, "stop sending after this long")
	fs.StringVar(&st.gateway, "gateway", "", "gateway URL (default: where the emulator at --endpoint says its gateway is)")
	fs.StringVar(&st.endpoint, "endpoint", "", "management API URL (default $EMULATOR_ENDPOINT or http://127.0.0.1:9001)")
	fs.StringVar(&st.namespace, "namespace", "", "the function's namespace (default: default)")
	fs.IntVar(&st.users, "users", 0, "sticky aliases: distinct user values to generate (default -n)")
	var headers multiFlag
	fs.Var(&headers, "header", "request header K=V or 'K: V' (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("split-test", pos, 1, 1, splitTestUsage); err != nil {
		return usageError{err}
	}
	st.function = pos[0]
	if err := checkNamespaceFlag(st.namespace); err != nil {
		return err
	}
	for _, c := range []struct {
		bad  bool
		flag string
		val  any
		want string
	}{
		{st.n < 1, "-n", st.n, "must be positive"},
		{st.concurrency < 1, "--concurrency", st.concurrency, "must be positive"},
		{st.timeout <= 0, "--timeout", st.timeout, "must be positive"},
		{st.users < 0, "--users", st.users, "must not be negative"},
	} {
		if c.bad {
			return usageError{fmt.Errorf("%s %v: %s", c.flag, c.val, c.want)}
		}
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, "=")
		if k2, v2, ok2 := strings.Cut(h, ":"); ok2 && (!ok || len(k2) < len(k)) {
			k, v, ok = k2, v2, true
		}
		if !ok || strings.TrimSpace(k) == "" {
			return usageError{fmt.Errorf("--header %q: want NAME=VALUE or 'NAME: VALUE'", h)}
		}
		st.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if st.gateway != "" {
		gw, err := loopbackURL(st.gateway)
		if err != nil {
			return usageError{fmt.Errorf("--gateway %q: %w", st.gateway, err)}
		}
		return st.run(ctx, gw, stdout)
	}
	c, err := newEmuClient(st.endpoint)
	if err != nil {
		return err
	}
	info, err := c.info(ctx)
	if err != nil {
		return fmt.Errorf("where is the gateway? %w", err)
	}
	gw, err := loopbackURL(info.Gateway)
	if err != nil {
		return fmt.Errorf("the emulator's gateway %s: %w; give --gateway with a loopback address that reaches it", info.Gateway, err)
	}
	return st.run(ctx, gw, stdout)
}

// loopbackURL accepts only gateways on this machine: split-test is a load
// generator and must not be pointed at someone else's service.
func loopbackURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("want http://host:port")
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("split-test only sends over loopback (127.0.0.1, ::1 or localhost)")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func (st splitTest) run(ctx context.Context, gw string, out io.Writer) error {
	c, err := newEmuClient(st.endpoint)
	if err != nil {
		return err
	}
	routes, err := c.routes(ctx, registry.Key(st.namespace, st.function))
	if err != nil {
		return err
	}
	route, path, err := pickRoute(routes.Routes, st.stage, st.path, st.method)
	if err != nil {
		return err
	}
	exp, err := st.expect(ctx, route.Qualifier)
	if err != nil {
		return err
	}
	plan := loadPlan{method: strings.ToUpper(st.method), url: gw + "/" + route.Stage + path, header: st.header,
		n: st.n, concurrency: st.concurrency, sticky: exp.generate, users: cmp.Or(st.users, st.n)}
	if routes.Services > 1 {
		plan.host = route.Host
	}
	fmt.Fprintf(out, "split-test %s: %s %s -> %s; %s\n", st.function, plan.method, plan.url, route.Qualifier, exp.why)
	if exp.shadow != "" {
		fmt.Fprintf(out, "shadow: %s (copies answer nobody; their errors show in emulator stats)\n", exp.shadow)
	}
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	res := sendLoad(ctx, plan)

	units := 0
	if exp.generate != "" {
		units = min(plan.users, res.answers())
	}
	rep := splitstat.Compare(exp.shares, res.counts, splitstat.Options{Units: units})
	printReport(out, rep, res, units)
	if res.timedOut {
		fmt.Fprintf(out, "stopped by --timeout %v after %d of %d requests\n", st.timeout, res.sent, st.n)
	}
	if rep.Total == 0 {
		return fmt.Errorf("no answer carried X-Scf-Version (%d errors%s)", res.errors, firstErr(res.firstErr))
	}
	if !rep.OK {
		var why []string
		for _, r := range rep.Rows {
			if !r.OK {
				why = append(why, "version "+r.Version+": "+r.Reason)
			}
		}
		return fmt.Errorf("%w: %s", errSplitOff, strings.Join(why, "; "))
	}
	return nil
}

func firstErr(err error) string {
	if err == nil {
		return ""
	}
	return "; first: " + err.Error()
}

// expectation is the split the server's configuration promises.
type expectation struct {
	shares   map[string]float64 // version -> share, summing to 1
	why      string             // how the shares follow from the config
	generate string             // sticky header to fill with generated users; "" none
	shadow   string             // description of the alias's shadow copies
}

// expect derives the expected split of a qualifier for requests carrying
// st.header, reading the alias over the cloud API and routing with the
// registry's own Decide, so rules and sticky hashing match the server's.
func (st splitTest) expect(ctx context.Context, qualifier string) (expectation, error) {
	if qualifier == registry.Latest || isVersionNumber(qualifier) {
		return expectation{shares: map[string]float64{qualifier: 1}, why: "a version: 100% " + qualifier}, nil
	}
	client, err := newClient(st.endpoint)
	if err != nil {
		return expectation{}, err
	}
	c := &clientCmd{ctx: ctx, client: client, namespace: st.namespace}
	ext, err := c.getAliasExt(ctx, st.function, qualifier)
	if err != nil {
		return expectation{}, apiError(st.endpoint, err)
	}
	alias := aliasFromExt(ext)
	compiled, err := registry.Compile(alias)
	if err != nil {
		return expectation{}, fmt.Errorf("alias %s as the server describes it: %w", qualifier, err)
	}
	keys := headerKeys(st.header)
	exp := expectation{}
	if s := alias.Shadow; s != nil {
		exp.shadow = fmt.Sprintf("%s of requests are also copied to version %s", splitstat.Percent(s.Weight), s.Version)
	}
	d := registry.Decide(compiled, keys, 0)
	switch {
	case d.Route == registry.RouteRule:
		exp.shares, exp.why = map[string]float64{d.Version: 1}, "the headers hit a rule: 100% "+d.Version
		return exp, nil
	case len(alias.Weights) == 0:
		exp.shares, exp.why = map[string]float64{d.Version: 1}, "no weights: 100% "+d.Version
		return exp, nil
	}
	sticky := strings.TrimPrefix(alias.StickyHeader, registry.RuleKeyPrefix)
	if _, given := keys.Get(sticky); sticky != "" && given {
		exp.shares = map[string]float64{d.Version: 1}
		exp.why = fmt.Sprintf("sticky on %s, one user: 100%% %s", sticky, d.Version)
		return exp, nil
	}
	exp.shares = map[string]float64{alias.FunctionVersion: 1}
	for _, w := range alias.Weights {
		exp.shares[w.Version] = w.Weight
		exp.shares[alias.FunctionVersion] -= w.Weight
	}
	exp.shares[alias.FunctionVersion] = max(exp.shares[alias.FunctionVersion], 0)
	exp.why = "weights"
	if sticky != "" {
		exp.generate = sticky
		exp.why = fmt.Sprintf("weights, sticky on %s: each request carries one of %d generated users",
			sticky, cmp.Or(st.users, st.n))
	}
	return exp, nil
}

func isVersionNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// aliasFromExt turns GetAlias's answer back into the registry's alias.
func aliasFromExt(a *aliasExt) registry.Alias {
	al := registry.Alias{Name: deref(a.Name), FunctionVersion: deref(a.FunctionVersion)}
	rc := a.RoutingConfig
	if rc == nil {
		return al
	}
	for _, w := range rc.AdditionalVersionWeights {
		al.Weights = append(al.Weights, registry.VersionWeight{Version: deref(w.Version), Weight: deref(w.Weight)})
	}
	for _, m := range rc.AddtionVersionMatchs {
		al.Matches = append(al.Matches, registry.VersionMatch{Version: deref(m.Version), Key: deref(m.Key),
			Method: deref(m.Method), Expression: deref(m.Expression)})
	}
	al.StickyHeader = deref(rc.StickyHeader)
	if s := rc.Shadow; s != nil && s.Version != "" {
		al.Shadow = &registry.Shadow{Version: s.Version, Weight: s.Weight}
	}
	return al
}

// printReport writes the table and the totals.
func printReport(out io.Writer, rep splitstat.Report, res loadResult, units int) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCONFIGURED\tOBSERVED\tANSWERS\t99% CI\tRESULT")
	for _, r := range rep.Rows {
		verdict := color.New(color.FgGreen).Sprint("OK")
		if !r.OK {
			verdict = color.New(color.FgRed, color.Bold).Sprint("OFF")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s - %s\t%s\n", r.Version, splitstat.Percent(r.Expected), splitstat.Percent(r.Observed),
			r.Count, splitstat.Percent(r.CI.Lo), splitstat.Percent(r.CI.Hi), verdict)
	}
	_ = tw.Flush()
	rate := 0.0
	if res.elapsed > 0 {
		rate = float64(res.sent) / res.elapsed.Seconds()
	}
	fmt.Fprintf(out, "sent %d, answers %d, errors %d, non-2xx %d in %v: %.0f req/s, p50 %v, p99 %v\n",
		res.sent, rep.Total, res.errors, res.non2xx, res.elapsed.Round(time.Millisecond), rate,
		res.percentile(0.50), res.percentile(0.99))
	if units > 0 && units < rep.Total {
		fmt.Fprintf(out, "intervals count %d independent users, not %d requests: a user's requests all go to one version\n", units, rep.Total)
	}
}
