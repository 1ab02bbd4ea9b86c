package eventsource

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
	"github.com/scf-emulator/emulator/trigger"
)

func TestCLB(t *testing.T) {
	triggers := &fakeRegistry{triggers: []registry.Trigger{
		{Function: "orders", Name: "o", Type: registry.TriggerCLB, Qualifier: "live", Path: "/orders/{id}", Method: "POST", Enabled: true},
		{Function: "plain", Name: "p", Type: registry.TriggerCLB, Qualifier: "$DEFAULT", Path: "/plain", Method: "ANY", Enabled: true},
		{Function: "gone", Name: "g", Type: registry.TriggerCLB, Qualifier: "$DEFAULT", Path: "/gone", Method: "ANY", Enabled: true},
		{Function: "crash", Name: "c", Type: registry.TriggerCLB, Qualifier: "$DEFAULT", Path: "/crash", Method: "ANY", Enabled: true},
		{Function: "slow", Name: "s", Type: registry.TriggerCLB, Qualifier: "$DEFAULT", Path: "/slow", Method: "ANY", Enabled: true},
		{Function: "plain", Name: "off", Type: registry.TriggerCLB, Qualifier: "$DEFAULT", Path: "/off", Method: "ANY", Enabled: false},
		{Function: "plain", Name: "api", Type: registry.TriggerAPIGateway, Path: "/api", Method: "ANY", Enabled: true},
	}}
	eng := newFakeEngine(map[string]fakeAnswer{
		"orders": {payload: `{"statusCode":201,"headers":{"X-Made":"yes","Content-Length":"99"},"body":"bWFkZQ==","isBase64Encoded":true}`},
		"plain":  {payload: `{"n":1}`},
		"crash":  {err: fmt.Errorf("%w: exit 1", scferr.ErrUserCode)},
		"slow":   {err: scferr.ErrTimeout},
	})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("gateway"))
	})
	h := NewCLB(triggers, eng, next)
	tests := []struct {
		name, method, target string
		wantStatus           int
		wantBody             string
		wantFunction         string // "" when no function may be called
	}{
		{name: "matched and answered as HTTP", method: "POST", target: "/clb/orders/42?x=1", wantStatus: 201, wantBody: "made", wantFunction: "orders"},
		{name: "any other answer is the body", method: "GET", target: "/clb/plain/", wantStatus: 200, wantBody: `{"n":1}`, wantFunction: "plain"},
		{name: "method not bound goes to the gateway", method: "GET", target: "/clb/orders/42", wantStatus: http.StatusTeapot, wantBody: "gateway"},
		{name: "empty segment does not match {id}", method: "POST", target: "/clb/orders//", wantStatus: http.StatusTeapot, wantBody: "gateway"},
		{name: "disabled trigger goes to the gateway", method: "GET", target: "/clb/off", wantStatus: http.StatusTeapot, wantBody: "gateway"},
		{name: "api gateway trigger is not a CLB one", method: "GET", target: "/clb/api", wantStatus: http.StatusTeapot, wantBody: "gateway"},
		{name: "a stage called clbx is the gateway's", method: "GET", target: "/clbx/plain", wantStatus: http.StatusTeapot, wantBody: "gateway"},
		{name: "function not found is 404", method: "GET", target: "/clb/gone", wantStatus: http.StatusNotFound, wantFunction: "gone"},
		{name: "function failure is 502", method: "GET", target: "/clb/crash", wantStatus: http.StatusBadGateway, wantFunction: "crash"},
		{name: "function timeout is 504", method: "GET", target: "/clb/slow", wantStatus: http.StatusGatewayTimeout, wantFunction: "slow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(eng.requests())
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader("hi"))
			req.Header.Set("X-Canary", "1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantBody != "" && w.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", w.Body, tc.wantBody)
			}
			calls := eng.requests()[before:]
			if tc.wantFunction == "" {
				if len(calls) != 0 {
					t.Errorf("function called: %+v", calls)
				}
				return
			}
			if len(calls) != 1 || calls[0].Function != tc.wantFunction || calls[0].Source != registry.TriggerCLB {
				t.Fatalf("calls = %+v, want one clb call of %s", calls, tc.wantFunction)
			}
			if v, ok := calls[0].Keys.Get("x-canary"); !ok || v != "1" {
				t.Errorf("routing keys read header X-Canary = %q, %v", v, ok)
			}
		})
	}
}

// The function receives the CLB event of the request: method, the path
// after /clb with its query, headers and body.
func TestCLBEvent(t *testing.T) {
	triggers := &fakeRegistry{triggers: []registry.Trigger{
		{Function: "orders", Name: "o", Type: registry.TriggerCLB, Qualifier: "live", Path: "/orders/{id}", Method: "ANY", Enabled: true},
	}}
	eng := newFakeEngine(map[string]fakeAnswer{"orders": {payload: `"ok"`}})
	h := NewCLB(triggers, eng, http.NotFoundHandler())
	req := httptest.NewRequest("PUT", "/clb/orders/7?a=b", strings.NewReader(`{"qty":2}`))
	req.Header.Set("X-Trace", "t1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("X-Scf-Version") != "1" || w.Header().Get("X-Scf-Request-Id") == "" {
		t.Fatalf("answer = %d %v", w.Code, w.Header())
	}
	calls := eng.requests()
	if len(calls) != 1 || calls[0].Trigger != "o" || calls[0].Qualifier != "live" {
		t.Fatalf("calls = %+v", calls)
	}
	var ev trigger.CLBEvent
	if err := json.Unmarshal(calls[0].Event, &ev); err != nil {
		t.Fatal(err)
	}
	want := trigger.NewCLBEvent(trigger.CLBRequest{Method: "PUT", URI: "/orders/7?a=b", Host: req.Host, VIP: "127.0.0.1",
		ClientIP: "192.0.2.1", Proto: "http", Headers: map[string]string{"X-Trace": "t1"}, Body: []byte(`{"qty":2}`)})
	if ev.Headers["X-Stgw-Time"] == "" {
		t.Errorf("event has no X-Stgw-Time: %v", ev.Headers)
	}
	delete(ev.Headers, "X-Stgw-Time") // the request's time, not the test's
	delete(want.Headers, "X-Stgw-Time")
	if wb, gb := mustJSON(t, want), mustJSON(t, ev); wb != gb {
		t.Errorf("event = %s\nwant    %s", gb, wb)
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
