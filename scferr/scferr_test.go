package scferr

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestStatusAndIs(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		is     error
	}{
		{"nil", nil, 200, nil},
		{"plain", errors.New("boom"), 500, nil},
		{"timeout", fmt.Errorf("invoke b v1: %w", Timeout(3)), 433, ErrTimeout},
		{"user", UserError("ValueError", "bad", "trace"), 430, ErrUserCode},
		{"wrapped exit", New(ErrProcessExit, "user process exit when running", errors.New("exit status 2")), 439, ErrProcessExit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Status(tc.err); got != tc.status {
				t.Fatalf("Status = %d, want %d", got, tc.status)
			}
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Fatalf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			if tc.is != nil && errors.Is(tc.err, ErrMemory) {
				t.Fatalf("errors.Is(%v, ErrMemory) = true", tc.err)
			}
		})
	}
}

func TestBody(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(Body(Timeout(3), "req-1"), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"errorCode": -1.0, "errorMessage": "Invoking task timed out after 3 seconds", "requestId": "req-1", "statusCode": 433.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if err := json.Unmarshal(Body(UserError("ValueError", "bad", ""), ""), &got); err != nil {
		t.Fatal(err)
	}
	if got["errorCode"] != 1.0 || got["statusCode"] != 430.0 || got["stackTrace"] != "ValueError: bad" {
		t.Errorf("user body = %v", got)
	}
}

func TestCapitalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"invoking task timed out", "Invoking task timed out"},
		{"scf_bootstrap exited during initialization", "scf_bootstrap exited during initialization"},
		{"index.js: cannot find module", "index.js: cannot find module"},
		{"/var/lang/node12/bin/node is missing", "/var/lang/node12/bin/node is missing"},
		{"http server did not listen", "http server did not listen"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := capitalise(tc.in); got != tc.want {
				t.Errorf("capitalise(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
