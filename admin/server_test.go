package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/tc3"
)

func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// errorBody is the one shape of every endpoint's refusal.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func TestServerEndpoints(t *testing.T) {
	plan := `{"function":"B","alias":"release","to":"2","schedule":"AllAtOnce"}`
	running := rollout.Status{ID: "r1", Function: "B", Alias: "release", State: rollout.StateRunning}
	tests := []struct {
		name, method, target, body string
		signed                     bool
		setup                      func(*sources)
		wantStatus                 int
		wantCode                   string // of an error body; "" for success
		wantText                   string
		check                      func(*testing.T, *sources)
	}{
		{name: "healthz", method: "GET", target: "/healthz", wantStatus: 200, wantText: `{"status":"ok"}`},
		{name: "metrics add up pools", method: "GET", target: "/metrics", wantStatus: 200, wantText: "scf_instances{B/1} 3"},
		{name: "info", method: "GET", target: "/emulator/info", wantStatus: 200, wantText: `"gateway":"http://127.0.0.1:8080"`},
		{name: "routes", method: "GET", target: "/emulator/routes?function=B", wantStatus: 200,
			wantText: `{"function":"B","services":2,"routes":[{"service":"A"`},
		{name: "routes of an unknown function", method: "GET", target: "/emulator/routes?function=X", wantStatus: 404,
			wantCode: "ResourceNotFound.Function", wantText: "function not found: X"},
		{name: "stats", method: "GET", target: "/emulator/stats?function=B&window=5m", wantStatus: 200,
			setup:    func(s *sources) { s.reg.aliases = []registry.Alias{{Name: "release", FunctionVersion: "1"}} },
			wantText: `"window":"5m0s","versions":[{"Version":"1"`},
		{name: "stats bad window", method: "GET", target: "/emulator/stats?function=B&window=soon", wantStatus: 400,
			wantCode: "InvalidParameterValue", wantText: `window \"soon\": want a positive duration`},
		{name: "stats of an unknown function", method: "GET", target: "/emulator/stats?function=X", wantStatus: 404,
			wantCode: "ResourceNotFound.Function"},
		{name: "stats registry failure", method: "GET", target: "/emulator/stats?function=B", wantStatus: 500,
			setup: func(s *sources) { s.reg.aliasErr = errors.New("disk gone") }, wantCode: "InternalError", wantText: "disk gone"},
		{name: "logs oldest first", method: "GET", target: "/emulator/logs?function=B&limit=2&qualifier=release", wantStatus: 200,
			setup: func(s *sources) {
				s.logs.records = []logstore.Record{{RequestID: "c"}, {RequestID: "b"}, {RequestID: "a"}}
			},
			check: func(t *testing.T, s *sources) {
				if q := s.logs.asked; q.Limit != 2 || q.Qualifier != "release" || q.Order != logstore.OrderDesc {
					t.Errorf("query = %+v", q)
				}
			},
			wantText: `"requestId":"b"`},
		{name: "logs bad limit", method: "GET", target: "/emulator/logs?function=B&limit=0", wantStatus: 400,
			wantCode: "InvalidParameterValue", wantText: "limit must be a positive integer"},
		{name: "logs of an unknown function", method: "GET", target: "/emulator/logs?function=X", wantStatus: 404,
			wantCode: "ResourceNotFound.Function"},
		{name: "start", method: "POST", target: "/emulator/rollouts", body: plan, wantStatus: 201, wantText: `"state":"running"`,
			check: func(t *testing.T, s *sources) {
				if p := s.rollouts.started; p.Function != "B" || p.To != "2" {
					t.Errorf("started %+v", p)
				}
			}},
		{name: "start unknown field", method: "POST", target: "/emulator/rollouts", body: `{"stepz":[1]}`, wantStatus: 400,
			wantCode: "InvalidParameterValue", wantText: "rollout plan: json: unknown field"},
		{name: "start invalid plan", method: "POST", target: "/emulator/rollouts", body: plan, wantStatus: 400,
			setup: func(s *sources) {
				s.rollouts.startErr = fmt.Errorf("%w: to: %w", rollout.ErrInvalidPlan, registry.ErrVersionNotFound)
			},
			wantCode: "InvalidParameterValue", wantText: "to: version not found"},
		{name: "start unknown alias", method: "POST", target: "/emulator/rollouts", body: plan, wantStatus: 404,
			setup: func(s *sources) {
				s.rollouts.startErr = fmt.Errorf("%w: alias: %w", rollout.ErrInvalidPlan, registry.ErrAliasNotFound)
			},
			wantCode: "ResourceNotFound.Alias"},
		{name: "start while running", method: "POST", target: "/emulator/rollouts", body: plan, wantStatus: 409,
			setup: func(s *sources) { s.rollouts.startErr = rollout.ErrActive }, wantCode: "ResourceInUse"},
		{name: "start after close", method: "POST", target: "/emulator/rollouts", body: plan, wantStatus: 503,
			setup: func(s *sources) { s.rollouts.startErr = rollout.ErrClosed }, wantCode: "ResourceUnavailable"},
		{name: "start body too large", method: "POST", target: "/emulator/rollouts", body: strings.Repeat(" ", MaxPlanBytes+1),
			wantStatus: 413, wantCode: "InvalidParameter.RequestTooLarge"},
		{name: "list narrowed by alias", method: "GET", target: "/emulator/rollouts?function=B&alias=release", wantStatus: 200,
			setup: func(s *sources) {
				s.rollouts.statuses = []rollout.Status{running, {ID: "r0", Function: "B", Alias: "other"}}
			},
			wantText: `[{"id":"r1"`},
		{name: "list of nothing is []", method: "GET", target: "/emulator/rollouts?function=B", wantStatus: 200, wantText: "[]\n"},
		{name: "watch of nothing", method: "GET", target: "/emulator/rollouts/watch?function=B&alias=release", wantStatus: 404,
			wantCode: "ResourceNotFound", wantText: "no rollout of alias release of function B"},
		{name: "abort by query", method: "POST", target: "/emulator/rollouts/abort?function=B&alias=release", wantStatus: 200,
			wantText: `"state":"aborted"`, check: func(t *testing.T, s *sources) {
				if a := s.rollouts.aborted; a.Function != "B" || a.Alias != "release" {
					t.Errorf("aborted %+v", a)
				}
			}},
		{name: "abort by body", method: "POST", target: "/emulator/rollouts/abort", body: `{"function":"B","alias":"release","reason":"r"}`,
			signed: true, wantStatus: 200, check: func(t *testing.T, s *sources) {
				if a := s.rollouts.aborted; a != (AbortRequest{"B", "release", "r"}) {
					t.Errorf("aborted %+v", a)
				}
			}},
		{name: "abort query disagrees", method: "POST", target: "/emulator/rollouts/abort?function=B", body: `{"function":"C"}`,
			wantStatus: 400, wantCode: "InvalidParameterValue", wantText: `function is \"B\" in the query and \"C\" in the body`},
		{name: "abort signed names only in the query", method: "POST", target: "/emulator/rollouts/abort?function=B&alias=release",
			signed: true, wantStatus: 400, wantCode: "InvalidParameterValue", wantText: "function must be in the signed body"},
		{name: "abort nothing running", method: "POST", target: "/emulator/rollouts/abort?function=B&alias=release", wantStatus: 409,
			setup: func(s *sources) { s.rollouts.abortErr = rollout.ErrNotActive }, wantCode: "FailedOperation"},
		{name: "abort bad body", method: "POST", target: "/emulator/rollouts/abort", body: `{"function":`, wantStatus: 400,
			wantCode: "InvalidParameterValue", wantText: "abort request:"},
		{name: "dashboard mounted", method: "GET", target: "/", wantStatus: 200, wantText: "page"},
		{name: "API at the rest", method: "POST", target: "/", wantStatus: 200, wantText: "api"},
		{name: "API for an unknown path", method: "GET", target: "/other", wantStatus: 200, wantText: "api"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSources(tc.signed)
			if tc.setup != nil {
				tc.setup(s)
			}
			rec := serve(s.srv, tc.method, tc.target, tc.body)
			body := rec.Body.String()
			if rec.Code != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("%s %s = %d %s, want %d with %q", tc.method, tc.target, rec.Code, body, tc.wantStatus, tc.wantText)
			}
			if tc.wantCode != "" {
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != tc.wantCode || e.Error == "" ||
					rec.Header().Get("Content-Type") != "application/json" {
					t.Errorf("error body %s (%v), Content-Type %q; want code %s", body, err, rec.Header().Get("Content-Type"), tc.wantCode)
				}
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

func TestLogsFollow(t *testing.T) {
	s := newSources(false)
	s.logs.records = []logstore.Record{{RequestID: "done"}}
	s.logs.follow = make(chan logstore.Record)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(s.srv, "GET", "/emulator/logs?function=B&follow=1", "") }()
	s.logs.follow <- logstore.Record{RequestID: "done"} // already sent with the history
	s.logs.follow <- logstore.Record{RequestID: "new"}
	close(s.logs.follow)
	rec := <-done
	var ids []string
	for line := range strings.Lines(rec.Body.String()) {
		var r logstore.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, r.RequestID)
	}
	if strings.Join(ids, ",") != "done,new" || rec.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("streamed %v (%s), want done,new as ndjson", ids, rec.Header().Get("Content-Type"))
	}
}

// TestCloseEndsStreams: a follower that never hangs up does not hold the
// server open past Close.
func TestCloseEndsStreams(t *testing.T) {
	s := newSources(false)
	s.logs.follow = make(chan logstore.Record) // never sends
	s.rollouts.statuses = []rollout.Status{{ID: "r1", Function: "B", Alias: "release", State: rollout.StateRunning}}
	s.rollouts.subscribed = make(chan struct{}, 1)
	s.logs.followed = make(chan struct{}, 1)
	done := make(chan string, 2)
	go func() { done <- serve(s.srv, "GET", "/emulator/logs?function=B&follow=1", "").Body.String() }()
	go func() {
		done <- serve(s.srv, "GET", "/emulator/rollouts/watch?function=B&alias=release", "").Body.String()
	}()
	<-s.logs.followed
	<-s.rollouts.subscribed
	s.srv.Close()
	for range 2 {
		<-done
	}
	s.srv.Close() // twice is fine
}

func TestWatchRollout(t *testing.T) {
	s := newSources(false)
	st := rollout.Status{ID: "r1", Function: "B", Alias: "release", State: rollout.StateRunning}
	s.rollouts.statuses = []rollout.Status{st}
	s.rollouts.subscribed = make(chan struct{}, 1)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(s.srv, "GET", "/emulator/rollouts/watch?function=B&alias=release&id=r1", "") }()
	<-s.rollouts.subscribed
	s.rollouts.publish(rollout.Status{ID: "r0", Function: "B", Alias: "release", State: rollout.StateAborted}) // another rollout
	end := st
	end.State, end.UpdatedAt = rollout.StateAborted, st.UpdatedAt.Add(1)
	s.rollouts.publish(end)
	rec := <-done
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"state":"running"`) || !strings.Contains(lines[1], `"id":"r1"`) ||
		!strings.Contains(lines[1], `"state":"aborted"`) {
		t.Errorf("watch streamed %q, want running then r1 aborted", lines)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{ErrHost, 403, "AuthFailure.UnauthorizedOperation"},
		{ErrUnauthenticated, 401, "AuthFailure.InvalidAuthorization"},
		{fmt.Errorf("x: %w", tc3.ErrSignature), 401, "AuthFailure.SignatureFailure"},
		{ErrTooLarge, 413, "InvalidParameter.RequestTooLarge"},
		{fmt.Errorf("get: %w", registry.ErrFunctionNotFound), 404, "ResourceNotFound.Function"},
		{registry.ErrAliasNotFound, 404, "ResourceNotFound.Alias"},
		{registry.ErrVersionNotFound, 404, "ResourceNotFound.Version"},
		{fmt.Errorf("%w: to: %w", rollout.ErrInvalidPlan, registry.ErrVersionNotFound), 400, "InvalidParameterValue"},
		{fmt.Errorf("%w: alias: %w", rollout.ErrInvalidPlan, registry.ErrFunctionNotFound), 404, "ResourceNotFound.Function"},
		{badRequest("limit"), 400, "InvalidParameterValue"},
		{ErrNotFound, 404, "ResourceNotFound"},
		{rollout.ErrActive, 409, "ResourceInUse"},
		{rollout.ErrNotActive, 409, "FailedOperation"},
		{fmt.Errorf("%w: E is served", registry.ErrNotParked), 409, "FailedOperation"},
		{rollout.ErrClosed, 503, "ResourceUnavailable"},
		{errors.New("anything else"), 500, "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if status, code := Classify(tc.err); status != tc.status || code != tc.code {
				t.Errorf("Classify = %d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
	// A kinded error keeps its own message.
	if err := badRequest("limit must be a positive integer"); err.Error() != "limit must be a positive integer" {
		t.Errorf("message = %q", err)
	}
}

func TestReachableURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8081}, "http://127.0.0.1:8081"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8082}, "http://[::1]:8082"},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 80}, "http://192.168.1.5:80"},
	}
	for _, tc := range tests {
		if got := ReachableURL(tc.addr); got != tc.want {
			t.Errorf("ReachableURL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
