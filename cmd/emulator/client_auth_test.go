package main

import (
	"strings"
	"testing"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// TestAPIErrorAuthHint: a refused signature tells how the CLI signs
// (TENCENTCLOUD_SECRET_ID/KEY) when those are not set, as the emulator's own
// endpoints' 401 does; with them set, it is left as the server said it.
func TestAPIErrorAuthHint(t *testing.T) {
	tests := []struct {
		name, id, code string
		hint           bool
	}{
		{"unknown id, none set", "", "AuthFailure.SecretIdNotFound", true},
		{"bad signature, none set", "", "AuthFailure.SignatureFailure", true},
		{"unknown id, one set", "AKIDme", "AuthFailure.SecretIdNotFound", false},
		{"another error", "", "ResourceNotFound.Function", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TENCENTCLOUD_SECRET_ID", tc.id)
			err := apiError("", tcerr.NewTencentCloudSDKError(tc.code, "refused", "req-1"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.code+": refused") {
				t.Fatalf("apiError = %v, want the code and message first", err)
			}
			if got := strings.Contains(err.Error(), "TENCENTCLOUD_SECRET_ID"); got != tc.hint {
				t.Errorf("apiError = %q; hint shown %v, want %v", err, got, tc.hint)
			}
		})
	}
}
