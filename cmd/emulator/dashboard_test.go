package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// adminDo sends one request to the admin address.
func adminDo(t *testing.T, h http.Handler, method, target, action, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	req.Host = "127.0.0.1:9001" // the admin address answers only names of this machine
	if action != "" {
		req.Header.Set("X-TC-Action", action)
		req.Header.Set("X-TC-Version", "2018-04-16")
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// apiCode is the cloud API error code of an answer, "" for success.
func apiCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct {
		Response struct {
			Error     *struct{ Code string }
			RequestID string `json:"RequestId"`
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Response.RequestID == "" {
		t.Fatalf("not a cloud API answer (%v): %s", err, rec.Body)
	}
	if env.Response.Error == nil {
		return ""
	}
	return env.Response.Error.Code
}

// newDashboardApp opens (without serving) an App on the dashboard config.
func newDashboardApp(t *testing.T, secretID, secretKey string) *App {
	t.Helper()
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := NewApp(t.Context(), AppConfig{
		ConfigPath: cfg, Runtime: "process", GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: filepath.Join(t.TempDir(), "state"), IdleTimeout: time.Minute, MaxInstances: 2,
		SecretID: secretID, SecretKey: secretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close(context.WithoutCancel(t.Context())) })
	return app
}

// TestDashboardRoutes checks that the dashboard and the cloud API share the
// admin address: GET / is the page, POST / is still the API, and what the
// API answered before for other methods and paths is unchanged.
func TestDashboardRoutes(t *testing.T) {
	app := newDashboardApp(t, "", "")
	admin := app.servers[1].Handler

	page := adminDo(t, admin, http.MethodGet, "/", "", "")
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(page.Body.String(), "/dashboard/app.js?v=") {
		t.Errorf("GET / = %d %q, want the dashboard page", page.Code, page.Header().Get("Content-Type"))
	}
	if code := apiCode(t, adminDo(t, admin, http.MethodPost, "/", "ListFunctions", `{}`)); code != "" {
		t.Errorf("POST / ListFunctions: %s", code)
	}
	for _, tc := range []struct{ method, path string }{{http.MethodPut, "/"}, {http.MethodGet, "/other"}, {http.MethodPost, "/api"}} {
		rec := adminDo(t, admin, tc.method, tc.path, "ListFunctions", `{}`)
		if rec.Code != http.StatusNotFound || apiCode(t, rec) != "InvalidRequest" {
			t.Errorf("%s %s = %d %s, want the API's 404 InvalidRequest", tc.method, tc.path, rec.Code, rec.Body)
		}
	}

	ov := adminDo(t, admin, http.MethodGet, "/emulator/overview", "", "")
	var overview struct {
		ReadOnly  bool
		Functions []struct {
			Name    string
			Aliases int
		}
	}
	if err := json.Unmarshal(ov.Body.Bytes(), &overview); err != nil || ov.Code != http.StatusOK {
		t.Fatalf("overview %d: %v %s", ov.Code, err, ov.Body)
	}
	if overview.ReadOnly || len(overview.Functions) != 1 || overview.Functions[0].Name != "B" || overview.Functions[0].Aliases != 2 {
		t.Errorf("overview = %+v, want writable, B with $DEFAULT and release", overview)
	}
	for target, status := range map[string]int{
		"/emulator/functions/B":                  http.StatusOK,
		"/emulator/functions/nope":               http.StatusNotFound,
		"/emulator/series?function=B&window=1m":  http.StatusOK,
		"/emulator/series?function=B&step=often": http.StatusBadRequest,
		"/emulator/series?function=nope":         http.StatusNotFound,
		"/emulator/series?function=B&window=16m": http.StatusBadRequest, // beyond the metrics' retention
	} {
		if rec := adminDo(t, admin, http.MethodGet, target, "", ""); rec.Code != status {
			t.Errorf("GET %s = %d, want %d: %s", target, rec.Code, status, rec.Body)
		}
	}
}

// TestDashboardReadOnly: with credentials the API refuses the page's
// unsigned calls, so the page (logged in with its cookie) is told to be
// read-only, and why.
func TestDashboardReadOnly(t *testing.T) {
	app := newDashboardApp(t, "AKIDtest", "secret")
	inner := app.servers[1].Handler
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "scf_emulator_session", Value: app.guard.LoginToken()})
		inner.ServeHTTP(w, r)
	})
	rec := adminDo(t, admin, http.MethodGet, "/emulator/overview", "", "")
	var ov struct {
		ReadOnly       bool
		ReadOnlyReason string
	}
	body, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(body, &ov); err != nil {
		t.Fatal(err)
	}
	if !ov.ReadOnly || !strings.Contains(ov.ReadOnlyReason, "signatures") {
		t.Errorf("overview with credentials = %+v, want read-only with a reason naming signatures", ov)
	}
	update := `{"FunctionName":"B","Name":"release","FunctionVersion":"$LATEST"}`
	if code := apiCode(t, adminDo(t, admin, http.MethodPost, "/", "UpdateAlias", update)); !strings.HasPrefix(code, "AuthFailure") {
		t.Errorf("unsigned UpdateAlias with credentials on: %q, want an AuthFailure", code)
	}
}
