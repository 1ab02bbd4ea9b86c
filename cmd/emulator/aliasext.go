package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// The SDK's alias models cannot carry the emulator's RoutingConfig
// extensions (StickyHeader, Shadow; api/aliasext.go). The alias commands
// send and read them with request and response types of their own, through
// the SDK client's Send, so requests are signed exactly as the SDK's are.

// routingExt is RoutingConfig with the extensions. A nil StickyHeader or
// Shadow is left out of the request, which keeps the alias's current value.
type routingExt struct {
	AdditionalVersionWeights []*scf.VersionWeight `json:"AdditionalVersionWeights"`
	AddtionVersionMatchs     []*scf.VersionMatch  `json:"AddtionVersionMatchs"`
	StickyHeader             *string              `json:"StickyHeader,omitempty"`
	Shadow                   *shadowExt           `json:"Shadow,omitempty"`
}

// shadowExt is the Shadow extension; Version "" clears the shadow.
type shadowExt struct {
	Version string  `json:"Version"`
	Weight  float64 `json:"Weight"`
	Diff    bool    `json:"Diff,omitempty"`
}

// aliasWriteRequest is CreateAlias or UpdateAlias with routingExt.
type aliasWriteRequest struct {
	*tchttp.BaseRequest
	FunctionName    *string     `json:"FunctionName,omitempty"`
	Namespace       *string     `json:"Namespace,omitempty"`
	Name            *string     `json:"Name,omitempty"`
	FunctionVersion *string     `json:"FunctionVersion,omitempty"`
	RoutingConfig   *routingExt `json:"RoutingConfig,omitempty"`
	Description     *string     `json:"Description,omitempty"`
}

// aliasExt is an alias as GetAlias and ListAliases describe it, extensions
// included.
type aliasExt struct {
	Name            *string     `json:"Name,omitempty"`
	FunctionVersion *string     `json:"FunctionVersion,omitempty"`
	RoutingConfig   *routingExt `json:"RoutingConfig,omitempty"`
	Description     *string     `json:"Description,omitempty"`
	AddTime         *string     `json:"AddTime,omitempty"`
	ModTime         *string     `json:"ModTime,omitempty"`
}

type getAliasExtResponse struct {
	tchttp.BaseResponse
	Response *aliasExt `json:"Response"`
}

type listAliasesExtResponse struct {
	tchttp.BaseResponse
	Response *struct {
		Aliases    []*aliasExt `json:"Aliases"`
		TotalCount *uint64     `json:"TotalCount"`
	} `json:"Response"`
}

// writeAlias sends CreateAlias or UpdateAlias (action) with the extensions.
func (c *clientCmd) writeAlias(action string, req *aliasWriteRequest) error {
	c.client.InitBaseRequest(&req.BaseRequest, "scf", scf.APIVersion, action)
	req.SetContext(c.ctx)
	return c.client.Send(req, scf.NewUpdateAliasResponse())
}

// getAliasExt is GetAlias with the extensions.
func (c *clientCmd) getAliasExt(ctx context.Context, fn, name string) (*aliasExt, error) {
	req := &aliasWriteRequest{FunctionName: &fn, Namespace: c.ns(), Name: &name}
	c.client.InitBaseRequest(&req.BaseRequest, "scf", scf.APIVersion, "GetAlias")
	req.SetContext(ctx)
	var resp getAliasExtResponse
	if err := c.client.Send(req, &resp); err != nil {
		return nil, err
	}
	if resp.Response == nil {
		return nil, fmt.Errorf("GetAlias %s of %s: empty answer", name, fn)
	}
	return resp.Response, nil
}

// listAliasesExt is ListAliases (first 1000) with the extensions.
func (c *clientCmd) listAliasesExt(fn string) ([]*aliasExt, error) {
	req := &struct {
		*tchttp.BaseRequest
		FunctionName *string `json:"FunctionName"`
		Namespace    *string `json:"Namespace,omitempty"`
		Limit        *string `json:"Limit"`
	}{FunctionName: &fn, Namespace: c.ns(), Limit: ptrTo("1000")}
	c.client.InitBaseRequest(&req.BaseRequest, "scf", scf.APIVersion, "ListAliases")
	req.SetContext(c.ctx)
	var resp listAliasesExtResponse
	if err := c.client.Send(req, &resp); err != nil {
		return nil, err
	}
	if resp.Response == nil {
		return nil, fmt.Errorf("ListAliases of %s: empty answer", fn)
	}
	return resp.Response.Aliases, nil
}

func ptrTo[T any](v T) *T { return &v }

// optFlag is a string flag that remembers whether it was given, so that
// `--sticky ""` (clear) differs from no --sticky (keep).
type optFlag struct {
	set   bool
	value string
}

func (o *optFlag) String() string     { return o.value }
func (o *optFlag) Set(v string) error { o.set, o.value = true, v; return nil }

// parseShadow reads --shadow: VERSION=FRACTION with a fraction in (0,1], or
// "" / "none" / "off" to clear.
func parseShadow(s string) (*shadowExt, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "off":
		return &shadowExt{}, nil
	}
	v, share, ok := strings.Cut(s, "=")
	f, err := strconv.ParseFloat(strings.TrimSpace(share), 64)
	if !ok || versionArg(v) == "" || err != nil || !(f > 0 && f <= 1) {
		return nil, usageError{fmt.Errorf("--shadow %q: want VERSION=FRACTION with a fraction above 0 and at most 1, e.g. 2=0.1, or \"\" to clear", s)}
	}
	return &shadowExt{Version: versionArg(v), Weight: f}, nil
}

// describeExt is describeSDKRouting plus the extensions.
func describeExt(primary string, rc *routingExt) string {
	if rc == nil {
		return primary
	}
	s := describeSDKRouting(primary, &scf.RoutingConfig{
		AdditionalVersionWeights: rc.AdditionalVersionWeights, AddtionVersionMatchs: rc.AddtionVersionMatchs,
	})
	if h := deref(rc.StickyHeader); h != "" {
		s += ", sticky on " + h
	}
	if rc.Shadow != nil && rc.Shadow.Version != "" {
		s += fmt.Sprintf(", shadow %g%% to %s", rc.Shadow.Weight*100, rc.Shadow.Version)
		if rc.Shadow.Diff {
			s += " (diff)"
		}
	}
	return s
}
