package api

import (
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func routing(weightVersion string, weight float64, matchVersion, expr string) *scf.RoutingConfig {
	rc := &scf.RoutingConfig{}
	if weightVersion != "" {
		rc.AdditionalVersionWeights = []*scf.VersionWeight{{Version: s(weightVersion), Weight: common.Float64Ptr(weight)}}
	}
	if matchVersion != "" {
		rc.AddtionVersionMatchs = []*scf.VersionMatch{{Version: s(matchVersion), Key: s("invoke.headers.User"), Method: s("exact"), Expression: s(expr)}}
	}
	return rc
}

func createAlias(h *harness, name, version string, rc *scf.RoutingConfig) error {
	r := scf.NewCreateAliasRequest()
	r.FunctionName, r.Name, r.FunctionVersion, r.RoutingConfig = s("hello"), s(name), s(version), rc
	_, err := h.client.CreateAlias(r)
	return err
}

func getAlias(t *testing.T, h *harness, name string) *scf.GetAliasResponseParams {
	t.Helper()
	r := scf.NewGetAliasRequest()
	r.FunctionName, r.Name = s("hello"), s(name)
	resp, err := h.client.GetAlias(r)
	must(t, err)
	return resp.Response
}

func TestCreateAndGetAlias(t *testing.T) {
	h := newHarness(t)
	r := scf.NewCreateAliasRequest()
	r.FunctionName, r.Name, r.FunctionVersion, r.Description = s("hello"), s("prepub"), s("1"), s("staging")
	r.RoutingConfig = routing("2", 0.25, "2", "alice")
	_, err := h.client.CreateAlias(r)
	must(t, err)
	stored, err := h.backend.Alias("hello", "prepub")
	must(t, err)
	if stored.FunctionVersion != "1" || stored.Description != "staging" ||
		len(stored.Weights) != 1 || stored.Weights[0] != (registry.VersionWeight{Version: "2", Weight: 0.25}) ||
		len(stored.Matches) != 1 || stored.Matches[0] != (registry.VersionMatch{Version: "2", Key: "invoke.headers.User", Method: "exact", Expression: "alice"}) {
		t.Errorf("stored alias = %+v", stored)
	}

	got := getAlias(t, h, "prepub")
	w, m := got.RoutingConfig.AdditionalVersionWeights, got.RoutingConfig.AddtionVersionMatchs
	if *got.Name != "prepub" || *got.FunctionVersion != "1" || *got.Description != "staging" ||
		*got.AddTime != "2026-01-02 08:04:05" || *got.ModTime != "2026-01-02 08:04:05" ||
		len(w) != 1 || *w[0].Version != "2" || *w[0].Weight != 0.25 ||
		len(m) != 1 || *m[0].Version != "2" || *m[0].Key != "invoke.headers.User" || *m[0].Method != "exact" || *m[0].Expression != "alice" {
		t.Errorf("GetAlias = %+v", got)
	}
}

func TestGetDefaultAliasHasEmptyRoutingLists(t *testing.T) {
	h := newHarness(t)
	_, data := h.raw(t, "GetAlias", APIVersion, `{"FunctionName":"hello","Name":"$DEFAULT"}`)
	want := `"RoutingConfig":{"AdditionalVersionWeights":[],"AddtionVersionMatchs":[]}`
	if !strings.Contains(string(data), want) || !strings.Contains(string(data), `"FunctionVersion":"$LATEST"`) {
		t.Errorf("answer %s lacks %s", data, want)
	}
}

func TestUpdateAlias(t *testing.T) {
	h := newHarness(t)
	// Set a sticky header the wire cannot express; the update must keep it.
	a, err := h.backend.Alias("hello", "release")
	must(t, err)
	a.StickyHeader = "User"
	must(t, h.backend.UpdateAlias("hello", a))

	r := scf.NewUpdateAliasRequest()
	r.FunctionName, r.Name, r.FunctionVersion = s("hello"), s("release"), s("2")
	r.RoutingConfig = routing("1", 0.1, "", "")
	_, err = h.client.UpdateAlias(r)
	must(t, err)
	got, err := h.backend.Alias("hello", "release")
	must(t, err)
	if got.FunctionVersion != "2" || len(got.Weights) != 1 || got.Weights[0].Version != "1" || got.Weights[0].Weight != 0.1 ||
		len(got.Matches) != 0 || got.Description != "prod" || got.StickyHeader != "User" {
		t.Errorf("after update = %+v, want version 2, 10%% to 1, no rules, description and sticky header kept", got)
	}

	// No RoutingConfig sends all traffic to the primary; Description replaces.
	r = scf.NewUpdateAliasRequest()
	r.FunctionName, r.Name, r.FunctionVersion, r.Description = s("hello"), s("release"), s("1"), s("rolled back")
	_, err = h.client.UpdateAlias(r)
	must(t, err)
	got, err = h.backend.Alias("hello", "release")
	must(t, err)
	if got.FunctionVersion != "1" || len(got.Weights) != 0 || got.Description != "rolled back" {
		t.Errorf("after rollback = %+v", got)
	}

	// $DEFAULT can be re-pointed, as the Serverless Framework's traffic does.
	r = scf.NewUpdateAliasRequest()
	r.FunctionName, r.Name, r.FunctionVersion, r.RoutingConfig = s("hello"), s("$DEFAULT"), s("$LATEST"), routing("2", 0.9, "", "")
	_, err = h.client.UpdateAlias(r)
	must(t, err)
}

func TestAliasErrors(t *testing.T) {
	h := newHarness(t)
	update := func(name, version string, rc *scf.RoutingConfig) error {
		r := scf.NewUpdateAliasRequest()
		r.FunctionName, r.Name, r.FunctionVersion, r.RoutingConfig = s("hello"), s(name), s(version), rc
		_, err := h.client.UpdateAlias(r)
		return err
	}
	get := func(fn, name string) error {
		r := scf.NewGetAliasRequest()
		r.FunctionName, r.Name = s(fn), s(name)
		_, err := h.client.GetAlias(r)
		return err
	}
	del := func(name string) error {
		r := scf.NewDeleteAliasRequest()
		r.FunctionName, r.Name = s("hello"), s(name)
		_, err := h.client.DeleteAlias(r)
		return err
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"create existing", createAlias(h, "release", "1", nil), "ResourceInUse.Alias"},
		{"create on missing version", createAlias(h, "canary", "9", nil), "ResourceNotFound.FunctionVersion"},
		{"create with missing weighted version", createAlias(h, "canary", "1", routing("9", 0.1, "", "")), "ResourceNotFound.FunctionVersion"},
		{"create with bad name", createAlias(h, "9lives", "1", nil), "InvalidParameterValue.Name"},
		{"create with weight above 1", createAlias(h, "canary", "1", routing("2", 1.5, "", "")), "InvalidParameterValue.RoutingConfig"},
		{"create with bad method", createAlias(h, "canary", "1", &scf.RoutingConfig{AddtionVersionMatchs: []*scf.VersionMatch{{
			Version: s("2"), Key: s("invoke.headers.User"), Method: s("regex"), Expression: s("x")}}}), "InvalidParameterValue.RoutingConfig"},
		{"create with weight missing", createAlias(h, "canary", "1", &scf.RoutingConfig{AdditionalVersionWeights: []*scf.VersionWeight{{Version: s("2")}}}), "InvalidParameterValue.RoutingConfig"},
		{"create with match key missing", createAlias(h, "canary", "1", &scf.RoutingConfig{AddtionVersionMatchs: []*scf.VersionMatch{{
			Version: s("2"), Method: s("exact"), Expression: s("x")}}}), "InvalidParameterValue.RoutingConfig"},
		{"create on missing function", func() error {
			r := scf.NewCreateAliasRequest()
			r.FunctionName, r.Name, r.FunctionVersion = s("nope"), s("a"), s("1")
			_, err := h.client.CreateAlias(r)
			return err
		}(), "ResourceNotFound.Function"},
		{"create without FunctionVersion", createAlias(h, "canary", "", nil), "MissingParameter"},
		{"update missing alias", update("canary", "1", nil), "ResourceNotFound.Alias"},
		{"update to missing version", update("release", "9", nil), "ResourceNotFound.FunctionVersion"},
		{"update with weight below 0", update("release", "1", routing("2", -0.1, "", "")), "InvalidParameterValue.RoutingConfig"},
		{"get missing alias", get("hello", "canary"), "ResourceNotFound.Alias"},
		{"get on missing function", get("nope", "release"), "ResourceNotFound.Function"},
		{"get without Name", get("hello", ""), "MissingParameter"},
		{"delete $DEFAULT", del("$DEFAULT"), "InvalidParameterValue.Alias"},
		{"delete missing alias", del("canary"), "ResourceNotFound.Alias"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err, tc.want) })
	}
}

func TestDeleteAlias(t *testing.T) {
	h := newHarness(t)
	r := scf.NewDeleteAliasRequest()
	r.FunctionName, r.Name = s("hello"), s("release")
	_, err := h.client.DeleteAlias(r)
	must(t, err)
	if _, err := h.backend.Alias("hello", "release"); err == nil {
		t.Error("release still exists")
	}
}

func TestListAliases(t *testing.T) {
	h := newHarness(t)
	must(t, createAlias(h, "prepub", "2", nil))
	tests := []struct {
		name          string
		version       *string
		offset, limit *string
		want          []string
		total         uint64
	}{
		{"all, $DEFAULT first", nil, nil, nil, []string{"$DEFAULT", "prepub", "release"}, 3},
		{"string offset and limit", nil, s("1"), s("1"), []string{"prepub"}, 3},
		{"filter by version 2 (primary or extra)", s("2"), nil, nil, []string{"prepub", "release"}, 2},
		{"filter by $LATEST", s("$LATEST"), nil, nil, []string{"$DEFAULT"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scf.NewListAliasesRequest()
			r.FunctionName, r.FunctionVersion, r.Offset, r.Limit = s("hello"), tc.version, tc.offset, tc.limit
			resp, err := h.client.ListAliases(r)
			must(t, err)
			var got []string
			for _, a := range resp.Response.Aliases {
				got = append(got, *a.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || *resp.Response.TotalCount != tc.total {
				t.Errorf("aliases = %v total %d, want %v total %d", got, *resp.Response.TotalCount, tc.want, tc.total)
			}
		})
	}
	t.Run("alias fields", func(t *testing.T) {
		r := scf.NewListAliasesRequest()
		r.FunctionName, r.Offset, r.Limit = s("hello"), s("2"), s("1")
		resp, err := h.client.ListAliases(r)
		must(t, err)
		a := resp.Response.Aliases[0]
		if *a.Name != "release" || *a.FunctionVersion != "1" || *a.Description != "prod" ||
			*a.AddTime != "2026-01-02 06:04:05" || *a.ModTime != "2026-01-02 07:04:05" ||
			*a.RoutingConfig.AdditionalVersionWeights[0].Weight != 0.3 || *a.RoutingConfig.AddtionVersionMatchs[0].Expression != "Bob" {
			t.Errorf("release = %s", resp.ToJsonString())
		}
	})
	t.Run("empty list is [] in raw JSON", func(t *testing.T) {
		_, data := h.raw(t, "ListAliases", APIVersion, `{"FunctionName":"hello","Offset":"10"}`)
		if !strings.Contains(string(data), `"Aliases":[]`) || !strings.Contains(string(data), `"TotalCount":3`) {
			t.Errorf("answer = %s", data)
		}
		_, data = h.raw(t, "ListAliases", APIVersion, `{"FunctionName":"hello","FunctionVersion":"$LATEST"}`)
		if !strings.Contains(string(data), `"AdditionalVersionWeights":[]`) {
			t.Errorf("$DEFAULT routing lists not [] in %s", data)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			body, want string
		}{
			{`{"FunctionName":"hello","Offset":"x"}`, "InvalidParameterValue.Offset"},
			{`{"FunctionName":"hello","Limit":"-1"}`, "InvalidParameterValue.Limit"},
			{`{"FunctionName":"hello","Offset":0}`, "InvalidParameter"}, // the SDK models Offset as a string
			{`{"FunctionName":"hello","FunctionVersion":"9"}`, "ResourceNotFound.FunctionVersion"},
			{`{"FunctionName":"nope"}`, "ResourceNotFound.Function"},
		} {
			if _, data := h.raw(t, "ListAliases", APIVersion, tc.body); rawCode(t, data) != tc.want {
				t.Errorf("%s: answer %s, want %s", tc.body, data, tc.want)
			}
		}
	})
}
