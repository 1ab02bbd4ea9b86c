package replay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/registry"
)

// answers: versions 1 and 3 answer alike, version 2 differs.
func answers() map[string]string { return map[string]string{"1": "ann", "2": "Ann", "3": "ann"} }

func aliases() fakeAliases {
	return fakeAliases{
		"B/release": {Name: "release", FunctionVersion: "1", Shadow: &registry.Shadow{Version: "2", Weight: 1}},
		"D/release": {Name: "release", FunctionVersion: "1"},
	}
}

func users(ids ...int) []diff.Request {
	out := make([]diff.Request, len(ids))
	for i, id := range ids {
		out[i] = diff.Request{Method: http.MethodGet, Path: fmt.Sprintf("/users/%d", id)}
	}
	return out
}

func versions(runs []run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Version
	}
	return out
}

// TestReplayPinsVersions: each request runs on the compare version, the
// new version, and (a noise sample) the compare version again, whatever
// the alias routes to, and the report compares them.
func TestReplayPinsVersions(t *testing.T) {
	tests := []struct {
		name               string
		to, compare        string
		wantRuns           []string
		primary, candidate string
		wantDiffering      int
	}{
		{"given versions", "2", "1", []string{"1", "2", "1", "1", "2", "1"}, "1", "2", 2},
		{"the alias's primary and shadow", "", "", []string{"1", "2", "1", "1", "2", "1"}, "1", "2", 2},
		{"versions that answer alike", "3", "1", []string{"1", "3", "1", "1", "3", "1"}, "1", "3", 0},
		{"compare given, new from the shadow", "", "3", []string{"3", "2", "3", "3", "2", "3"}, "3", "2", 2},
		{"new given, compare from the alias", "3", "", []string{"1", "3", "1", "1", "3", "1"}, "1", "3", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{Answers: answers()}
			st := &fakeStore{}
			rp := New(b, aliases(), twoServices(), st)
			reps, err := rp.Replay(t.Context(), Request{Stage: "release", Service: "A", ToVersion: tc.to, CompareVersion: tc.compare, Requests: users(7, 8)})
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			runs := b.seen()
			if got := versions(runs); !slices.Equal(got, tc.wantRuns) {
				t.Errorf("versions run: %v, want %v", got, tc.wantRuns)
			}
			for i, r := range runs {
				if r.Function != "B" || r.Qualifier != "release" || !strings.HasSuffix(r.Path, fmt.Sprintf("/users/%d", 7+i/3)) {
					t.Errorf("run %d: %+v, want B through release at /users/%d", i, r, 7+i/3)
				}
			}
			if len(reps) != 1 {
				t.Fatalf("%d reports, want 1: %+v", len(reps), reps)
			}
			rep := reps[0]
			if rep.Function != "B" || rep.Alias != "release" || rep.Primary != tc.primary || rep.Candidate != tc.candidate ||
				rep.Compared != 2 || rep.Differing != tc.wantDiffering || rep.NoiseSamples != 2 {
				t.Errorf("report: %+v, want B release %s vs %s, 2 compared, %d differing, 2 noise samples",
					rep, tc.candidate, tc.primary, tc.wantDiffering)
			}
			if st.len() != 2 {
				t.Errorf("store holds %d samples, want 2", st.len())
			}
		})
	}
}

// TestReplayRefuses: a request that cannot be pinned, or is no HTTP
// request, fails the replay with an error naming it; a recorded request
// that is no HTTP request fails it before anything runs.
func TestReplayRefuses(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		want     error
		wantMsg  string
		wantRuns int
	}{
		{"stage bound to a version, no versions given", Request{Stage: "v1", Service: "A", Requests: users(1)},
			ErrNoVersion, "stage v1 routes B to 1, which is no alias: give --to-version and --compare-version", 0},
		{"alias without a shadow, no new version given", Request{Stage: "release", Service: "C", Requests: []diff.Request{{Method: "GET", Path: "/"}}},
			ErrNoVersion, "alias release of D has no shadow version: give --to-version", 1},
		{"new version that does not exist", Request{Stage: "release", Service: "A", ToVersion: "9", Requests: users(1)},
			registry.ErrVersionNotFound, "version 9 of B", 1},
		{"compare version that does not exist", Request{Stage: "release", Service: "A", CompareVersion: "9", Requests: users(1)},
			registry.ErrVersionNotFound, "version 9 of B", 0},
		{"path with a space", Request{Stage: "release", Service: "A", Requests: append(users(1), diff.Request{Method: "GET", Path: "/users/1 2"})},
			ErrInvalidRequest, `invalid recorded request 2: "GET" "/release/users/1 2" is no HTTP request line`, 0},
		{"method smuggling a header", Request{Stage: "release", Service: "A", Requests: []diff.Request{{Method: "GET /x HTTP/1.0\r\nX-Evil: 1\r\n\r\nGET", Path: "/users/1"}}},
			ErrInvalidRequest, "invalid recorded request 1", 0},
		{"invalid escape", Request{Stage: "release", Service: "A", Requests: []diff.Request{{Method: "GET", Path: "/users/%zz"}}},
			ErrInvalidRequest, "invalid recorded request 1", 0},
		{"stage with a line break", Request{Stage: "release\r\nX: 1", Service: "A", Requests: users(1)},
			ErrInvalidRequest, "invalid recorded request 1", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{Answers: answers()}
			st := &fakeStore{}
			reps, err := New(b, aliases(), twoServices(), st).Replay(t.Context(), tc.req)
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.wantMsg) {
				t.Fatalf("Replay: %v (reports %+v), want %v containing %q", err, reps, tc.want, tc.wantMsg)
			}
			if n := len(b.seen()); n != tc.wantRuns {
				t.Errorf("%d runs, want %d: %+v", n, tc.wantRuns, b.seen())
			}
			if st.len() != 0 {
				t.Errorf("store holds %d samples, want none", st.len())
			}
		})
	}
}

// TestReplayFailingVersion: a new version that fails or panics is an
// answer compared like any other: a report, not an error or a crash.
func TestReplayFailingVersion(t *testing.T) {
	for _, how := range []string{"", "panic"} {
		t.Run(fmt.Sprintf("answers %q", how), func(t *testing.T) {
			ans := answers()
			ans["2"] = how
			b := &fakeBackend{Answers: ans}
			st := &fakeStore{}
			reps, err := New(b, aliases(), twoServices(), st).Replay(t.Context(), Request{Stage: "release", Service: "A", Requests: users(1, 2)})
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			if len(reps) != 1 || reps[0].Compared != 2 || reps[0].Differing != 2 {
				t.Fatalf("reports %+v, want one with 2 compared, 2 differing", reps)
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			for _, s := range st.samples {
				if s.PrimaryAnswer.Status != http.StatusOK || s.CandidateAnswer.Status < 500 {
					t.Errorf("sample %s: primary %d, candidate %d %s; want 200 and a 5xx", s.Request.Path,
						s.PrimaryAnswer.Status, s.CandidateAnswer.Status, s.CandidateAnswer.Body)
				}
			}
		})
	}
}

// TestReplayStopsOnCancel: once ctx ends no further request runs, the
// replay returns ctx's error, and no sample answered under an ended
// context is kept as evidence.
func TestReplayStopsOnCancel(t *testing.T) {
	t.Run("before the first request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		b := &fakeBackend{Answers: answers()}
		st := &fakeStore{}
		_, err := New(b, aliases(), twoServices(), st).Replay(ctx, Request{Stage: "release", Service: "A", Requests: users(1, 2, 3)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Replay: %v, want context.Canceled", err)
		}
		if n := len(b.seen()); n != 0 || st.len() != 0 {
			t.Errorf("%d runs, %d samples kept; want none", n, st.len())
		}
	})
	t.Run("during the first request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		b := &fakeBackend{Answers: answers(), OnInvoke: func(context.Context, run) { cancel() }}
		st := &fakeStore{}
		_, err := New(b, aliases(), twoServices(), st).Replay(ctx, Request{Stage: "release", Service: "A", Requests: users(1, 2, 3)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Replay: %v, want context.Canceled", err)
		}
		for _, r := range b.seen() {
			if !strings.HasSuffix(r.Path, "/users/1") {
				t.Errorf("ran %+v after the cancel", r)
			}
		}
		if st.len() != 0 {
			t.Errorf("%d samples kept, want none", st.len())
		}
	})
}

// TestReplayNoiseSamples: the first 10 requests of an endpoint, then one
// in 10, also run on the compare version a second time.
func TestReplayNoiseSamples(t *testing.T) {
	ids := make([]int, 25)
	for i := range ids {
		ids[i] = i
	}
	b := &fakeBackend{Answers: answers()}
	reps, err := New(b, aliases(), twoServices(), &fakeStore{}).Replay(t.Context(), Request{Stage: "release", Service: "A", Requests: users(ids...)})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	const wantNoise = 10 + 2 // requests 0-9, 10 and 20
	if len(reps) != 1 || reps[0].NoiseSamples != wantNoise || reps[0].Compared != 25 {
		t.Fatalf("reports %+v, want one with 25 compared, %d noise samples", reps, wantNoise)
	}
	if n := len(b.seen()); n != 2*25+wantNoise {
		t.Errorf("%d runs, want %d", n, 2*25+wantNoise)
	}
	if eps := reps[0].Endpoints; len(eps) != 1 || eps[0].Endpoint != "GET /users/{id}" {
		t.Errorf("endpoints %+v, want GET /users/{id} alone", eps)
	}
}

// TestReplayPicksService: a Host header, else the Request's service, else
// the recorded host picks the service, and so the function.
func TestReplayPicksService(t *testing.T) {
	tests := []struct {
		name    string
		service string
		rr      diff.Request
		wantFn  string
	}{
		{"host header over the service", "A", diff.Request{Method: "GET", Path: "/", Header: http.Header{"Host": {"c.localhost"}}}, "D"},
		{"the service", "C", diff.Request{Method: "GET", Path: "/"}, "D"},
		{"the service over the recorded host", "A", diff.Request{Method: "GET", Path: "/users/1", Host: "c.localhost"}, "B"},
		{"the recorded host", "", diff.Request{Method: "GET", Path: "/users/1", Host: "a.localhost"}, "B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{Answers: answers()}
			reps, err := New(b, aliases(), twoServices(), &fakeStore{}).Replay(t.Context(),
				Request{Stage: "release", Service: tc.service, ToVersion: "2", CompareVersion: "1", Requests: []diff.Request{tc.rr}})
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			runs := b.seen()
			if len(runs) == 0 || runs[0].Function != tc.wantFn || len(reps) != 1 || reps[0].Function != tc.wantFn {
				t.Errorf("runs %+v, reports %+v; want function %s", runs, reps, tc.wantFn)
			}
		})
	}
}
