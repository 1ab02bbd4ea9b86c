package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// fakeParked holds parked functions by name; served ones are refused as
// the registry refuses them.
type fakeParked struct {
	parked  []registry.Parked
	served  []string
	deleted []string
}

func (f *fakeParked) ParkedFunctions() []registry.Parked { return f.parked }

func (f *fakeParked) DeleteParked(_ context.Context, name string) error {
	if slices.Contains(f.served, name) {
		return fmt.Errorf("%w: %s is in the config again and served", registry.ErrNotParked, name)
	}
	i := slices.IndexFunc(f.parked, func(p registry.Parked) bool { return p.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %s", registry.ErrFunctionNotFound, name)
	}
	f.parked = slices.Delete(f.parked, i, i+1)
	f.deleted = append(f.deleted, name)
	return nil
}

func TestParkedEndpoints(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, method, target, body string
		none                       bool // no Parked source
		wantStatus                 int
		wantCode                   string
		wantText                   string
		wantDeleted                []string
	}{
		{name: "list", method: "GET", target: "/emulator/parked", wantStatus: 200,
			wantText: `[{"name":"E","namespace":"default","source":"/src/e","versions":["1","2"],"aliases":["$DEFAULT","canary"],"triggers":["tick"],"parkedAt":"2026-03-01T12:00:00Z"}]`},
		{name: "delete", method: "POST", target: "/emulator/parked/delete", body: `{"function":"E"}`, wantStatus: 200,
			wantText: `{"deleted":"E"}`, wantDeleted: []string{"E"}},
		{name: "delete a served function", method: "POST", target: "/emulator/parked/delete", body: `{"function":"B"}`,
			wantStatus: 409, wantCode: "FailedOperation", wantText: "B is in the config again and served"},
		{name: "delete a missing function", method: "POST", target: "/emulator/parked/delete", body: `{"function":"X"}`,
			wantStatus: 404, wantCode: "ResourceNotFound.Function"},
		{name: "delete without a name", method: "POST", target: "/emulator/parked/delete", body: `{}`,
			wantStatus: 400, wantCode: "InvalidParameterValue", wantText: "function is required"},
		{name: "delete with an unknown field", method: "POST", target: "/emulator/parked/delete", body: `{"functions":["E"]}`,
			wantStatus: 400, wantCode: "InvalidParameterValue", wantText: "unknown field"},
		{name: "no source", method: "GET", target: "/emulator/parked", none: true, wantStatus: 404, wantCode: "ResourceNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeParked{served: []string{"B"}, parked: []registry.Parked{{Name: "E", Namespace: "default", Source: "/src/e",
				Versions: []string{"1", "2"}, Aliases: []string{"$DEFAULT", "canary"}, Triggers: []string{"tick"}, ParkedAt: at}}}
			opts := ServerOptions{Logs: &fakeLogs{}, Metrics: &fakeMetrics{}, Registry: fakeRegistry{}, Rollouts: &fakeRollouts{},
				Gateway: fakeGateway{}, Info: fakeInfo{}, Parked: src}
			if tc.none {
				opts.Parked = nil
			}
			rec := serve(NewServer(opts), tc.method, tc.target, tc.body)
			body := rec.Body.String()
			if rec.Code != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("%s %s = %d %s, want %d with %q", tc.method, tc.target, rec.Code, body, tc.wantStatus, tc.wantText)
			}
			if tc.wantCode != "" && !strings.Contains(body, `"code":"`+tc.wantCode+`"`) {
				t.Errorf("error body %s, want code %s", body, tc.wantCode)
			}
			if !slices.Equal(src.deleted, tc.wantDeleted) {
				t.Errorf("deleted %v, want %v", src.deleted, tc.wantDeleted)
			}
		})
	}
}
