package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

const aliasUsage = "create|update FUNCTION NAME --version V [--weight V2=0.1]... [--rule 'V4:invoke.headers.User exact Bob']... [--sticky HEADER] [--shadow V=0.1 [--diff]] | get|delete FUNCTION NAME | list FUNCTION"

func (c *clientCmd) alias(fs *flag.FlagSet) func([]string) error {
	version := fs.String("version", "", "primary version ($LATEST or a number)")
	var weights, rules multiFlag
	var desc, sticky, shadow optFlag
	fs.Var(&desc, "d", "description (default: update keeps the current one)")
	fs.Var(&weights, "weight", "extra version and its share, V=0.1 (repeatable)")
	fs.Var(&rules, "rule", "'V:invoke.headers.KEY exact|range EXPR' (repeatable)")
	fs.Var(&sticky, "sticky", `header whose value pins a user to one weighted version, e.g. User; "" clears it (default: keep)`)
	fs.Var(&shadow, "shadow", `copy a share of requests to a version, V=0.1; "" clears it (default: keep)`)
	diffMode := fs.Bool("diff", false, "with --shadow: compare each copy's answer with the primary's (see emulator diff)")
	return func(pos []string) error {
		if len(pos) < 2 {
			return usageError{fmt.Errorf("usage: emulator alias %s", aliasUsage)}
		}
		sub, fn := pos[0], pos[1]
		switch sub {
		case "create", "update":
			if err := needArgs("alias "+sub, pos, 3, 3, "FUNCTION NAME --version V [--weight V=0.1]... [--rule ...]..."); err != nil {
				return usageError{err}
			}
			if *version == "" {
				return usageError{fmt.Errorf("alias %s: --version is required", sub)}
			}
			if *diffMode && !shadow.set {
				return usageError{fmt.Errorf("alias %s: --diff needs --shadow V=FRACTION", sub)}
			}
			rc, err := routingExtFlags(weights, rules, sticky, shadow)
			if err != nil {
				return err
			}
			if *diffMode && rc.Shadow.Version != "" {
				rc.Shadow.Diff = true
			}
			req := &aliasWriteRequest{FunctionName: &fn, Namespace: c.ns(), Name: &pos[2], FunctionVersion: version, RoutingConfig: rc}
			if desc.set { // UpdateAlias without Description keeps the alias's (e.g. from emulator.yaml)
				req.Description = &desc.value
			}
			if err := c.writeAlias(map[string]string{"create": "CreateAlias", "update": "UpdateAlias"}[sub], req); err != nil {
				return err
			}
			// Read back: settings not given (sticky, shadow) keep their value.
			got, err := c.getAliasExt(c.ctx, fn, pos[2])
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "alias %s of %s -> %s\n", pos[2], fn, describeExt(deref(got.FunctionVersion), got.RoutingConfig))
			return nil
		case "get":
			if err := needArgs("alias get", pos, 3, 3, "FUNCTION NAME"); err != nil {
				return usageError{err}
			}
			a, err := c.getAliasExt(c.ctx, fn, pos[2])
			if err != nil {
				return err
			}
			return printJSON(c.out, a)
		case "delete":
			if err := needArgs("alias delete", pos, 3, 3, "FUNCTION NAME"); err != nil {
				return usageError{err}
			}
			req := scf.NewDeleteAliasRequest()
			req.FunctionName, req.Name, req.Namespace = &fn, &pos[2], c.ns()
			if _, err := c.client.DeleteAliasWithContext(c.ctx, req); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "alias %s of %s deleted\n", pos[2], fn)
			return nil
		case "list":
			if err := needArgs("alias list", pos, 2, 2, "FUNCTION"); err != nil {
				return usageError{err}
			}
			aliases, err := c.listAliasesExt(fn)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ALIAS\tROUTING\tDESCRIPTION")
			for _, a := range aliases {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", deref(a.Name), describeExt(deref(a.FunctionVersion), a.RoutingConfig), deref(a.Description))
			}
			return tw.Flush()
		}
		return usageError{fmt.Errorf("usage: emulator alias %s", aliasUsage)}
	}
}

// routingConfig builds the SDK RoutingConfig from --weight and --rule flags.
// The leading "V" of the usage text's placeholders (V2=0.1) is accepted too.
func routingConfig(weights, rules []string) (*scf.RoutingConfig, error) {
	if len(weights) == 0 && len(rules) == 0 {
		return nil, nil
	}
	rc := &scf.RoutingConfig{AdditionalVersionWeights: []*scf.VersionWeight{}, AddtionVersionMatchs: []*scf.VersionMatch{}}
	sum := 0.0
	for _, w := range weights {
		v, share, ok := strings.Cut(w, "=")
		if !ok || versionArg(v) == "" {
			return nil, usageError{fmt.Errorf("--weight %q: want VERSION=FRACTION, e.g. 2=0.1", w)}
		}
		f, err := parseFraction("--weight", share)
		if err != nil { // named by the whole value, as typed
			return nil, usageError{fmt.Errorf("--weight %q: want a fraction from 0 to 1", w)}
		}
		if sum += f; sum > 1+1e-9 {
			return nil, usageError{fmt.Errorf("--weight: the shares add up to %g; at most 1 (the primary version gets the rest)", sum)}
		}
		rc.AdditionalVersionWeights = append(rc.AdditionalVersionWeights, &scf.VersionWeight{Version: common.StringPtr(versionArg(v)), Weight: common.Float64Ptr(f)})
	}
	for _, r := range rules {
		v, rest, ok := strings.Cut(r, ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 3 || versionArg(v) == "" {
			return nil, usageError{fmt.Errorf("--rule %q: want 'VERSION:invoke.headers.KEY exact|range EXPRESSION'", r)}
		}
		if fields[1] != "exact" && fields[1] != "range" {
			return nil, usageError{fmt.Errorf("--rule %q: method %q: want exact or range", r, fields[1])}
		}
		rc.AddtionVersionMatchs = append(rc.AddtionVersionMatchs, &scf.VersionMatch{
			Version: common.StringPtr(versionArg(v)), Key: common.StringPtr(fields[0]),
			Method: common.StringPtr(fields[1]), Expression: common.StringPtr(strings.Join(fields[2:], " ")),
		})
	}
	return rc, nil
}

// routingExtFlags is routingConfig plus --sticky and --shadow; nil when no
// flag asks for anything (the alias then sends all traffic to --version).
func routingExtFlags(weights, rules []string, sticky, shadow optFlag) (*routingExt, error) {
	rc, err := routingConfig(weights, rules)
	if err != nil {
		return nil, err
	}
	if rc == nil && !sticky.set && !shadow.set {
		return nil, nil
	}
	out := &routingExt{AdditionalVersionWeights: []*scf.VersionWeight{}, AddtionVersionMatchs: []*scf.VersionMatch{}}
	if rc != nil {
		out.AdditionalVersionWeights, out.AddtionVersionMatchs = rc.AdditionalVersionWeights, rc.AddtionVersionMatchs
	}
	if sticky.set {
		out.StickyHeader = &sticky.value
	}
	if shadow.set {
		if out.Shadow, err = parseShadow(shadow.value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// versionArg strips the placeholder prefix in "V2"; "$LATEST" stays.
func versionArg(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 1 && (v[0] == 'V' || v[0] == 'v') && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

func describeSDKRouting(primary string, rc *scf.RoutingConfig) string {
	s := primary
	if rc == nil {
		return s
	}
	var extra []string
	for _, w := range rc.AdditionalVersionWeights {
		extra = append(extra, fmt.Sprintf("%s:%g%%", deref(w.Version), deref(w.Weight)*100))
	}
	for _, m := range rc.AddtionVersionMatchs {
		extra = append(extra, fmt.Sprintf("%s if %s %s %s", deref(m.Version), strings.TrimPrefix(deref(m.Key), "invoke.headers."), deref(m.Method), deref(m.Expression)))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// deploy applies Serverless Framework traffic semantics: $DEFAULT points at
// $LATEST and the last published version takes 1 - traffic.
func (c *clientCmd) deploy(fs *flag.FlagSet) func([]string) error {
	traffic := fs.String("traffic", "", "share of $DEFAULT traffic that goes to $LATEST, 0..1")
	fs.Func("inputs.traffic", "the Serverless Framework's spelling of --traffic", func(v string) error { *traffic = v; return nil })
	return func(pos []string) error {
		if err := needArgs("deploy", pos, 1, 1, "FUNCTION --traffic 0.1"); err != nil {
			return usageError{err}
		}
		if *traffic == "" {
			return usageError{fmt.Errorf("deploy: --traffic is required")}
		}
		t, err := parseFraction("--traffic", *traffic)
		if err != nil {
			return err
		}
		last, err := c.lastVersion(pos[0])
		if err != nil {
			return err
		}
		req := scf.NewUpdateAliasRequest()
		req.FunctionName, req.Name, req.FunctionVersion = &pos[0], common.StringPtr("$DEFAULT"), common.StringPtr("$LATEST")
		req.Namespace = c.ns()
		req.RoutingConfig = &scf.RoutingConfig{AdditionalVersionWeights: []*scf.VersionWeight{}, AddtionVersionMatchs: []*scf.VersionMatch{}}
		if t < 1 {
			if last == "" {
				return fmt.Errorf("deploy %s --traffic %s: the function has no published version to take the other %g%%; run emulator publish %s first",
					pos[0], *traffic, (1-t)*100, pos[0])
			}
			req.RoutingConfig.AdditionalVersionWeights = append(req.RoutingConfig.AdditionalVersionWeights,
				&scf.VersionWeight{Version: &last, Weight: common.Float64Ptr(1 - t)})
		}
		if _, err := c.client.UpdateAliasWithContext(c.ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "$DEFAULT of %s -> %s\n", pos[0], describeSDKRouting("$LATEST", req.RoutingConfig))
		return nil
	}
}

// lastVersion returns the highest published version, "" when there is none.
func (c *clientCmd) lastVersion(fn string) (string, error) {
	last := 0
	for offset := uint64(0); ; {
		req := scf.NewListVersionByFunctionRequest()
		req.FunctionName, req.Offset, req.Limit, req.Namespace = &fn, common.Uint64Ptr(offset), common.Uint64Ptr(100), c.ns()
		resp, err := c.client.ListVersionByFunctionWithContext(c.ctx, req)
		if err != nil {
			return "", err
		}
		for _, v := range resp.Response.Versions {
			if n, err := strconv.Atoi(deref(v.Version)); err == nil && n > last {
				last = n
			}
		}
		offset += uint64(len(resp.Response.Versions))
		if len(resp.Response.Versions) == 0 || offset >= deref(resp.Response.TotalCount) {
			break
		}
	}
	if last == 0 {
		return "", nil
	}
	return strconv.Itoa(last), nil
}

// rollback sends all of an alias's traffic to its primary version, or to --to.
func (c *clientCmd) rollback(fs *flag.FlagSet) func([]string) error {
	to := fs.String("to", "", "version to send all traffic to (default: the alias's primary version)")
	return func(pos []string) error {
		if err := needArgs("rollback", pos, 2, 2, "FUNCTION ALIAS [--to V]"); err != nil {
			return usageError{err}
		}
		get := scf.NewGetAliasRequest()
		get.FunctionName, get.Name, get.Namespace = &pos[0], &pos[1], c.ns()
		cur, err := c.client.GetAliasWithContext(c.ctx, get)
		if err != nil {
			return err
		}
		target := deref(cur.Response.FunctionVersion)
		if *to != "" {
			target = versionArg(*to)
		}
		req := scf.NewUpdateAliasRequest()
		req.FunctionName, req.Name, req.FunctionVersion, req.Namespace = &pos[0], &pos[1], &target, c.ns()
		req.RoutingConfig = &scf.RoutingConfig{AdditionalVersionWeights: []*scf.VersionWeight{}, AddtionVersionMatchs: []*scf.VersionMatch{}}
		req.Description = cur.Response.Description
		if _, err := c.client.UpdateAliasWithContext(c.ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "alias %s of %s -> %s (was %s)\n", pos[1], pos[0], target,
			describeSDKRouting(deref(cur.Response.FunctionVersion), cur.Response.RoutingConfig))
		return nil
	}
}
