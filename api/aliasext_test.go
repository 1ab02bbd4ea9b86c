package api

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func TestAliasExtensionsRoundTrip(t *testing.T) {
	h := newHarness(t)
	_, data := h.raw(t, "CreateAlias", APIVersion, `{"FunctionName":"hello","Name":"canary","FunctionVersion":"1",
		"RoutingConfig":{"AdditionalVersionWeights":[{"Version":"2","Weight":0.1}],"StickyHeader":"User","Shadow":{"Version":"2","Weight":0.5}}}`)
	if code := rawCode(t, data); code != "" {
		t.Fatalf("CreateAlias: %s", data)
	}
	stored, err := h.backend.Alias("hello", "canary")
	must(t, err)
	if stored.StickyHeader != "User" || stored.Shadow == nil || *stored.Shadow != (registry.Shadow{Version: "2", Weight: 0.5}) ||
		len(stored.Weights) != 1 {
		t.Fatalf("stored alias = %+v, want sticky User, shadow 2 at 0.5 and one weight", stored)
	}

	_, data = h.raw(t, "GetAlias", APIVersion, `{"FunctionName":"hello","Name":"canary"}`)
	for _, want := range []string{`"StickyHeader":"User"`, `"Shadow":{"Version":"2","Weight":0.5}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("GetAlias answer %s lacks %s", data, want)
		}
	}
	_, data = h.raw(t, "ListAliases", APIVersion, `{"FunctionName":"hello"}`)
	if !strings.Contains(string(data), `"StickyHeader":"User"`) || strings.Count(string(data), `"Shadow"`) != 1 {
		t.Errorf("ListAliases answer %s: want the extension on canary only", data)
	}

	// The official SDK ignores the fields it does not know and still
	// decodes everything else.
	got := getAlias(t, h, "canary")
	if *got.FunctionVersion != "1" || len(got.RoutingConfig.AdditionalVersionWeights) != 1 ||
		*got.RoutingConfig.AdditionalVersionWeights[0].Weight != 0.1 {
		t.Errorf("SDK GetAlias = %+v", got)
	}
	lr := scf.NewListAliasesRequest()
	lr.FunctionName = s("hello")
	list, err := h.client.ListAliases(lr)
	must(t, err)
	if len(list.Response.Aliases) != 3 {
		t.Errorf("SDK ListAliases: %d aliases, want 3", len(list.Response.Aliases))
	}
}

func TestUpdateAliasExtensionsKeepAndClear(t *testing.T) {
	startShadow := &registry.Shadow{Version: "2", Weight: 0.5}
	tests := []struct {
		name       string
		routing    string // the RoutingConfig member, "" for none
		wantSticky string
		wantShadow *registry.Shadow
	}{
		{"no RoutingConfig keeps both", "", "User", startShadow},
		{"RoutingConfig without extensions keeps both", `"RoutingConfig":{"AdditionalVersionWeights":[]}`, "User", startShadow},
		{"empty sticky clears it", `"RoutingConfig":{"StickyHeader":""}`, "", startShadow},
		{"sticky replaced", `"RoutingConfig":{"StickyHeader":"X-Tenant"}`, "X-Tenant", startShadow},
		{"null sticky keeps it", `"RoutingConfig":{"StickyHeader":null}`, "User", startShadow},
		{"null shadow clears it", `"RoutingConfig":{"Shadow":null}`, "User", nil},
		{"empty shadow clears it", `"RoutingConfig":{"Shadow":{}}`, "User", nil},
		{"shadow without version clears it", `"RoutingConfig":{"Shadow":{"Version":""}}`, "User", nil},
		{"shadow replaced", `"RoutingConfig":{"Shadow":{"Version":"2","Weight":1}}`, "User", &registry.Shadow{Version: "2", Weight: 1}},
		{"shadow in diff mode", `"RoutingConfig":{"Shadow":{"Version":"2","Weight":1,"Diff":true}}`, "User", &registry.Shadow{Version: "2", Weight: 1, Diff: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			a, err := h.backend.Alias("hello", "release")
			must(t, err)
			a.StickyHeader, a.Shadow = "User", startShadow
			must(t, h.backend.UpdateAlias("hello", a))
			body := `{"FunctionName":"hello","Name":"release","FunctionVersion":"1"`
			if tc.routing != "" {
				body += "," + tc.routing
			}
			_, data := h.raw(t, "UpdateAlias", APIVersion, body+"}")
			if code := rawCode(t, data); code != "" {
				t.Fatalf("UpdateAlias: %s", data)
			}
			got, err := h.backend.Alias("hello", "release")
			must(t, err)
			if got.StickyHeader != tc.wantSticky {
				t.Errorf("sticky = %q, want %q", got.StickyHeader, tc.wantSticky)
			}
			if (got.Shadow == nil) != (tc.wantShadow == nil) || (got.Shadow != nil && *got.Shadow != *tc.wantShadow) {
				t.Errorf("shadow = %+v, want %+v", got.Shadow, tc.wantShadow)
			}
		})
	}
}

func TestAliasExtensionsMalformed(t *testing.T) {
	tests := []struct {
		name, routing, code, msg string
	}{
		{"shadow not an object", `{"Shadow":"2=0.1"}`, codeBadRouting, "RoutingConfig.Shadow must be an object such as {\"Version\": \"2\", \"Weight\": 0.1}: got a JSON string"},
		{"shadow weight a string", `{"Shadow":{"Version":"2","Weight":"0.1"}}`, codeBadRouting, "Weight must be a number, not a JSON string"},
		{"sdk field wrong type", `{"AdditionalVersionWeights":{"Version":"2"}}`, codeInvalidParameter, "parameter RoutingConfig.AdditionalVersionWeights must be"},
		{"shadow weight missing", `{"Shadow":{"Version":"2"}}`, codeBadRouting, "RoutingConfig.Shadow.Weight is missing"},
		{"shadow version missing", `{"Shadow":{"Weight":0.2}}`, codeBadRouting, "RoutingConfig.Shadow.Version is missing"},
		{"shadow unknown member", `{"Shadow":{"Version":"2","Weight":0.1,"Share":1}}`, codeBadRouting, `unknown field "Share"`},
		{"sticky not a string", `{"StickyHeader":5}`, codeInvalidParameter, "StickyHeader"},
		{"unknown extension", `{"Sticky":"User"}`, codeUnknownParameter, "Sticky"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			_, data := h.raw(t, "CreateAlias", APIVersion,
				`{"FunctionName":"hello","Name":"x","FunctionVersion":"1","RoutingConfig":`+tc.routing+`}`)
			code, msg := rawCode(t, data), ""
			if e := decodeEnvelope(t, data).Response.Error; e != nil {
				msg = e.Message
			}
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("answer %s: want code %s mentioning %q", data, tc.code, tc.msg)
			}
			if _, err := h.backend.Alias("hello", "x"); err == nil {
				t.Errorf("a refused alias was created")
			}
		})
	}
}

// The registry's validation of the extensions reaches the client as
// InvalidParameterValue.RoutingConfig naming the problem.
func TestAliasExtensionsValidatedByRegistry(t *testing.T) {
	b := newRealBackend(t, t.TempDir())
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "index.py"), []byte("TAG = \"a\"\n"), 0o644))
	ctx := context.Background()
	must(t, b.Define(ctx, registry.FunctionSpec{Name: "B", Source: src, Config: registry.FunctionConfig{
		Runtime: "Python3.9", Type: registry.TypeEvent, Handler: "index.main_handler", MemorySize: 128, Timeout: 3}}))
	for range 2 {
		_, err := b.Publish(ctx, "B", "")
		must(t, err)
	}
	hs := httptest.NewServer(New(b, Options{}))
	t.Cleanup(hs.Close)
	srv := hs.URL
	tests := []struct {
		name, routing, msg string
	}{
		{"shadow to a missing version", `{"Shadow":{"Version":"9","Weight":0.1}}`, "shadow version 9"},
		{"shadow on the primary", `{"Shadow":{"Version":"1","Weight":0.1}}`, "is the primary version"},
		{"shadow weight zero", `{"Shadow":{"Version":"2","Weight":0}}`, "must be more than 0"},
		{"shadow weight above 1", `{"Shadow":{"Version":"2","Weight":1.5}}`, "at most 1"},
		{"sticky not a header name", `{"StickyHeader":"X User"}`, "is not a header name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, data := rawRequest(t, "POST", srv+"/", "CreateAlias", APIVersion,
				`{"FunctionName":"B","Name":"x","FunctionVersion":"1","RoutingConfig":`+tc.routing+`}`)
			if code := rawCode(t, data); code != codeBadRouting || !strings.Contains(string(data), tc.msg) {
				t.Errorf("answer %s: want %s mentioning %q", data, codeBadRouting, tc.msg)
			}
		})
	}
	_, data := rawRequest(t, "POST", srv+"/", "CreateAlias", APIVersion,
		`{"FunctionName":"B","Name":"x","FunctionVersion":"1","RoutingConfig":{"StickyHeader":"User","Shadow":{"Version":"2","Weight":0.25}}}`)
	if code := rawCode(t, data); code != "" {
		t.Fatalf("valid extensions refused: %s", data)
	}
	a, err := b.Alias("B", "x")
	must(t, err)
	if a.StickyHeader != "User" || a.Shadow == nil || a.Shadow.Weight != 0.25 {
		t.Errorf("stored = %+v", a)
	}
}
