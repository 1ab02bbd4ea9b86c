package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serve runs one request through a mux holding the dashboard and a fallback
// at / that answers 418, standing in for the cloud API.
func serve(t *testing.T, src Source, opts Options, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	New(src, opts).Register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	req := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body.String(), err)
	}
	return v
}

func TestOverview(t *testing.T) {
	src := newFake()
	src.addFunction("A", 0)
	src.addFunction("B", 2)
	src.stats["B"] = []VersionStats{
		{Version: "1", Invocations: 90, Errors: 1},
		{Version: "2", Invocations: 10, Errors: 3},
	}
	rec := serve(t, src, Options{}, http.MethodGet, "/emulator/overview", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	got := decodeBody[overview](t, rec)
	want := overview{Window: "1m0s", Functions: []fnSummary{
		{Name: "A", Runtime: "Python3.9", Type: "event", Versions: 0, Aliases: 1},
		{Name: "B", Runtime: "Python3.9", Type: "event", Versions: 2, Aliases: 2, Split: true, Requests: 100, Errors: 4, ErrorRate: 0.04},
	}}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("overview\n got %s\nwant %s", g, w)
	}
}

func TestOverviewReadOnly(t *testing.T) {
	src := newFake()
	rec := serve(t, src, Options{ReadOnly: "signatures are verified"}, http.MethodGet, "/emulator/overview", nil)
	got := decodeBody[map[string]any](t, rec)
	if got["readOnly"] != true || got["readOnlyReason"] != "signatures are verified" {
		t.Errorf("read-only fields = %v, %v", got["readOnly"], got["readOnlyReason"])
	}
	if fns, ok := got["functions"].([]any); !ok || len(fns) != 0 {
		t.Errorf("functions = %#v, want an empty list (not null)", got["functions"])
	}
}

// TestOverviewManyFunctions pins the list's cost: with 50 functions of 20
// versions each the answer stays a few kilobytes (versions are counted, not
// listed) and the Source is asked a fixed number of times per function.
func TestOverviewManyFunctions(t *testing.T) {
	src := newFake()
	for i := range 50 {
		src.addFunction("function-"+strconv.Itoa(i), 20)
	}
	rec := serve(t, src, Options{}, http.MethodGet, "/emulator/overview", nil)
	const limit = 12 << 10
	if n := rec.Body.Len(); n > limit {
		t.Errorf("overview of 50x20 is %d bytes, want at most %d", n, limit)
	}
	got := decodeBody[overview](t, rec)
	if len(got.Functions) != 50 {
		t.Fatalf("%d functions, want 50", len(got.Functions))
	}
	for _, f := range got.Functions {
		if f.Versions != 20 || f.Aliases != 2 || !f.Split {
			t.Fatalf("summary %+v, want 20 versions, 2 aliases, split", f)
		}
	}
	for _, m := range []string{"Versions", "Aliases", "Stats"} {
		if src.calls[m] != 50 {
			t.Errorf("%s called %d times for 50 functions, want 50", m, src.calls[m])
		}
	}
	if src.calls["Series"] != 0 {
		t.Errorf("the overview asked for %d series, want none", src.calls["Series"])
	}
	// The detail of one function lists its 20 versions plus $LATEST, no more.
	rec = serve(t, src, Options{}, http.MethodGet, "/emulator/functions/function-7", nil)
	if d := decodeBody[detail](t, rec); len(d.Versions) != 21 {
		t.Errorf("detail lists %d versions, want 21", len(d.Versions))
	}
}

func TestFunctionDetail(t *testing.T) {
	src := newFake()
	src.addFunction("B", 3)
	src.aliases["B"][1].StickyHeader = "User"
	src.aliases["B"][1].Shadow = &Shadow{Version: "3", Weight: 0.05}
	src.aliases["B"][1].Matches = []VersionMatch{{Version: "3", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}}
	src.stats["B"] = []VersionStats{
		{Version: "2", Invocations: 9, Errors: 0, Share: 0.9, P50: 1500 * time.Microsecond, P99: 4 * time.Millisecond, ColdStarts: 1},
		{Version: "3", Invocations: 1, Errors: 1, ErrorRate: 1, Share: 0.1},
		{Version: "9", Invocations: 5}, // deleted since: not listed
	}
	rec := serve(t, src, Options{}, http.MethodGet, "/emulator/functions/B", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	got := decodeBody[map[string]any](t, rec)
	if got["name"] != "B" || got["runtime"] != "Python3.9" || got["memorySize"] != 128.0 {
		t.Errorf("function fields: %v", got)
	}
	var order []string
	for _, v := range got["versions"].([]any) {
		order = append(order, v.(map[string]any)["version"].(string))
	}
	if strings.Join(order, ",") != "$LATEST,3,2,1" {
		t.Errorf("version order %v, want $LATEST first, then newest first", order)
	}
	v2 := got["versions"].([]any)[2].(map[string]any)
	want := map[string]any{"requests": 9.0, "errors": 0.0, "errorRate": 0.0, "share": 0.9, "p50ms": 1.5, "p99ms": 4.0, "coldStarts": 1.0}
	if g, w := mustJSON(t, v2["last1m"]), mustJSON(t, want); g != w {
		t.Errorf("version 2 last1m = %s, want %s", g, w)
	}
	if _, ok := got["versions"].([]any)[3].(map[string]any)["last1m"]; ok {
		t.Errorf("version 1 had no traffic but has last1m")
	}
	release := got["aliases"].([]any)[1].(map[string]any)
	if release["stickyHeader"] != "User" || mustJSON(t, release["shadow"]) != `{"version":"3","weight":0.05}` ||
		mustJSON(t, release["weights"]) != `[{"version":"3","weight":0.1}]` || len(release["matches"].([]any)) != 1 {
		t.Errorf("release alias = %s", mustJSON(t, release))
	}
}

func TestErrors(t *testing.T) {
	src := newFake()
	src.addFunction("B", 1)
	for _, tc := range []struct {
		name, target string
		status       int
		param        string
	}{
		{"unknown function", "/emulator/functions/nope", 404, ""},
		{"series of unknown function", "/emulator/series?function=nope", 404, ""},
		{"series without function", "/emulator/series", 400, "function"},
		{"window not a duration", "/emulator/series?function=B&window=5", 400, "window"},
		{"window negative", "/emulator/series?function=B&window=-5m", 400, "window"},
		{"window beyond retention", "/emulator/series?function=B&window=1h", 400, "window"},
		{"step below a second", "/emulator/series?function=B&step=500ms", 400, "step"},
		{"step not whole seconds", "/emulator/series?function=B&step=1500ms", 400, "step"},
		{"step longer than window", "/emulator/series?function=B&window=1m&step=2m", 400, "step"},
		{"too many points", "/emulator/series?function=B&window=15m&step=1s", 400, "step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, src, Options{MaxPoints: 600}, http.MethodGet, tc.target, nil)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			e := decodeBody[apiError](t, rec)
			if e.Error == "" || e.Parameter != tc.param {
				t.Errorf("error %+v, want parameter %q and a message", e, tc.param)
			}
			if tc.param != "" && !strings.HasPrefix(e.Error, tc.param+": ") {
				t.Errorf("message %q does not name %s first", e.Error, tc.param)
			}
		})
	}
	t.Run("through WriteError", func(t *testing.T) {
		var got []error
		opts := Options{WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
			got = append(got, err)
			w.WriteHeader(http.StatusTeapot)
		}}
		serve(t, src, opts, http.MethodGet, "/emulator/series?function=B&window=5", nil)
		serve(t, src, opts, http.MethodGet, "/emulator/functions/nope", nil)
		var pe *ParamError
		if len(got) != 2 || !errors.As(got[0], &pe) || pe.Param != "window" || !errors.Is(got[0], ErrBadParameter) ||
			!errors.Is(got[1], ErrNotFound) {
			t.Errorf("WriteError got %v", got)
		}
	})
	t.Run("source failure", func(t *testing.T) {
		src.failAll = errors.New("state is closed")
		defer func() { src.failAll = nil }()
		rec := serve(t, src, Options{}, http.MethodGet, "/emulator/functions/B", nil)
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", rec.Code)
		}
	})
}

func TestSeries(t *testing.T) {
	src := newFake()
	src.addFunction("B", 2)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	src.points["B"] = []Point{
		{Time: at(0), Version: "1", Requests: 4, Errors: 1},
		{Time: at(2), Version: "1", Requests: 6},
		{Time: at(2), Version: "2", Requests: 2, Errors: 2}, // 2 missing from the first step
		{Time: at(4), Version: "1", Requests: 1},
	}
	rec := serve(t, src, Options{}, http.MethodGet, "/emulator/series?function=B&window=1m&step=2s", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	got := decodeBody[series](t, rec)
	ms := func(s int) int64 { return at(s).UnixMilli() }
	want := series{Function: "B", Window: "1m0s", Step: "2s", StepSecs: 2, Times: []int64{ms(0), ms(2), ms(4)}, Lines: []seriesLine{
		{Version: "1", Requests: []int{4, 6, 1}, Errors: []int{1, 0, 0}, Total: 11},
		{Version: "2", Requests: []int{0, 2, 0}, Errors: []int{0, 2, 0}, Total: 2},
	}}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("series\n got %s\nwant %s", g, w)
	}

	src.points["B"] = nil
	rec = serve(t, src, Options{}, http.MethodGet, "/emulator/series?function=B", nil)
	if body := strings.TrimSpace(rec.Body.String()); !strings.Contains(body, `"times":[]`) || !strings.Contains(body, `"versions":[]`) || !strings.Contains(body, `"window":"5m0s"`) {
		t.Errorf("empty series with defaults = %s, want empty lists and a 5m window", body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
