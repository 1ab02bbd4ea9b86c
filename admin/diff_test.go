package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/replay"
)

// fakeDiffs answers Replay with err, else one report, and keeps the request.
type fakeDiffs struct {
	err   error
	asked *ReplayRequest
}

func (f fakeDiffs) Report(diff.Query) diff.Report { return diff.Report{} }

func (f fakeDiffs) Replay(_ context.Context, req ReplayRequest) ([]diff.Report, error) {
	*f.asked = req
	if f.err != nil {
		return nil, f.err
	}
	return []diff.Report{{Function: "B", Primary: req.CompareVersion, Candidate: req.ToVersion, Compared: len(req.Requests)}}, nil
}

// TestReplayEndpoint: POST /emulator/diff/replay hands the body to
// Diffs.Replay and answers its reports; a recorded request the replay
// finds no HTTP request is the caller's error, 400, as a bad body is.
func TestReplayEndpoint(t *testing.T) {
	const body = `{"stage":"release","toVersion":"2","compareVersion":"1","requests":[{"method":"GET","path":"/users/1"}]}`
	tests := []struct {
		name, body string
		err        error
		wantStatus int
		wantCode   string
		wantText   string
	}{
		{"reports", body, nil, 200, "", `[{"function":"B","primary":"1","candidate":"2","compared":1`},
		{"no stage", `{"requests":[{"method":"GET","path":"/"}]}`, nil, 400, "InvalidParameterValue", "stage is required"},
		{"no requests", `{"stage":"release","requests":[]}`, nil, 400, "InvalidParameterValue", "want 1 to 10000 recorded requests"},
		{"unknown field", `{"stage":"release","version":"2"}`, nil, 400, "InvalidParameterValue", "unknown field"},
		{"no request line", body, fmt.Errorf("%w 1: %q %q is no HTTP request line", replay.ErrInvalidRequest, "GET", "/release/a b"),
			400, "InvalidParameterValue", "invalid recorded request 1"},
		{"no version", body, fmt.Errorf("alias release of B has no shadow version: %w", replay.ErrNoVersion),
			500, "InternalError", "no shadow version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var asked ReplayRequest
			srv := NewServer(ServerOptions{Diffs: fakeDiffs{err: tc.err, asked: &asked}})
			rec := serve(srv, "POST", "/emulator/diff/replay", tc.body)
			got := rec.Body.String()
			if rec.Code != tc.wantStatus || !strings.Contains(got, tc.wantText) {
				t.Fatalf("replay = %d %s, want %d with %q", rec.Code, got, tc.wantStatus, tc.wantText)
			}
			if tc.wantCode != "" {
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != tc.wantCode {
					t.Errorf("error body %s (%v), want code %s", got, err, tc.wantCode)
				}
			}
			if tc.wantStatus == 200 && (asked.Stage != "release" || asked.ToVersion != "2" || len(asked.Requests) != 1) {
				t.Errorf("Replay asked %+v", asked)
			}
		})
	}
}
