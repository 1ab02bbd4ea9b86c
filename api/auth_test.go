package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/tc3"
)

func getHello(c *scf.Client) error {
	r := scf.NewGetFunctionRequest()
	r.FunctionName = s("hello")
	_, err := c.GetFunction(r)
	return err
}

func TestSignatureVerification(t *testing.T) {
	skew := time.Duration(0)
	opts := Options{SecretID: "AKIDtest", SecretKey: "right-key", Now: func() time.Time { return time.Now().Add(skew) }}
	h := newHarnessWith(t, opts)
	tests := []struct {
		name     string
		id, key  string
		skew     time.Duration
		wantCode string
	}{
		{"right key", "AKIDtest", "right-key", 0, ""},
		{"clock a little off", "AKIDtest", "right-key", 4 * time.Minute, ""},
		{"wrong key", "AKIDtest", "wrong-key", 0, "AuthFailure.SignatureFailure"},
		{"unknown secret id", "AKIDother", "right-key", 0, "AuthFailure.SecretIdNotFound"},
		{"expired", "AKIDtest", "right-key", 10 * time.Minute, "AuthFailure.SignatureExpire"},
		{"from the future", "AKIDtest", "right-key", -10 * time.Minute, "AuthFailure.SignatureExpire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			skew = tc.skew
			err := getHello(sdkClient(t, h.url, tc.id, tc.key))
			if tc.wantCode == "" {
				must(t, err)
				return
			}
			wantCode(t, err, tc.wantCode)
		})
	}
	skew = 0
	// Every action is checked, also one the server does not know.
	for _, tc := range []struct {
		name, auth, action, code string
	}{
		{"no authorization", "", "GetFunction", "AuthFailure.SignatureFailure"},
		{"malformed authorization", "TC3-HMAC-SHA256 garbage", "GetFunction", "AuthFailure.SignatureFailure"},
		{"old signature method", "HmacSHA256 x", "GetFunction", "AuthFailure.SignatureFailure"},
		{"unknown action unsigned", "", "DescribeInstances", "AuthFailure.SignatureFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(`{"FunctionName":"hello"}`))
			must(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-TC-Action", tc.action)
			req.Header.Set("X-TC-Version", APIVersion)
			req.Header.Set("X-TC-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			defer resp.Body.Close()
			data := readAll(t, resp)
			if resp.StatusCode != 200 || rawCode(t, data) != tc.code {
				t.Errorf("status %d answer %s, want 200 and %s", resp.StatusCode, data, tc.code)
			}
		})
	}
	t.Run("body changed after signing", func(t *testing.T) {
		now := time.Now()
		req, err := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(`{"FunctionName":"web"}`))
		must(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-TC-Action", "GetFunction")
		req.Header.Set("X-TC-Version", APIVersion)
		req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
		signed := tc3.Request{Method: "POST", Host: strings.TrimPrefix(h.url, "http://"), Header: req.Header, Body: []byte(`{"FunctionName":"hello"}`)}
		req.Header.Set("Authorization", tc3.Sign(signed, "scf", "AKIDtest", "right-key", now))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		if data := readAll(t, resp); rawCode(t, data) != "AuthFailure.SignatureFailure" {
			t.Errorf("answer %s, want AuthFailure.SignatureFailure", data)
		}
	})
}

func TestHalfCredentialsRefuseEverything(t *testing.T) {
	opts := Options{SecretID: "AKIDtest"}
	if err := opts.Validate(); err == nil {
		t.Error("Validate accepted a secret id without a key")
	}
	if err := (Options{SecretID: "a", SecretKey: "b"}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	h := newHarnessWith(t, opts)
	wantCode(t, getHello(sdkClient(t, h.url, "AKIDtest", "")), "AuthFailure.SecretIdNotFound")
}

func TestNoCredentialsAcceptsAnySignature(t *testing.T) {
	h := newHarness(t)
	must(t, getHello(sdkClient(t, h.url, "anything", "at-all")))
	srv := httptest.NewServer(New(newFake(), Options{}))
	defer srv.Close()
	resp, data := rawRequest(t, http.MethodPost, srv.URL+"/", "GetFunction", APIVersion, `{"FunctionName":"hello"}`)
	if resp.StatusCode != 200 || rawCode(t, data) != "" {
		t.Errorf("unsigned call without credentials: %s", data)
	}
}

func TestRequireCredentials(t *testing.T) {
	tests := []struct {
		addr            string
		creds, insecure bool
		wantErr         bool
	}{
		{"127.0.0.1:9001", false, false, false},
		{"localhost:9001", false, false, false},
		{"[::1]:9001", false, false, false},
		{"127.0.0.2:9001", false, false, false},
		{"0.0.0.0:9001", false, false, true},
		{":9001", false, false, true},
		{"192.168.1.5:9001", false, false, true},
		{"myhost.local:9001", false, false, true},
		{"0.0.0.0:9001", true, false, false},
		{"0.0.0.0:9001", false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			err := RequireCredentials(tc.addr, tc.creds, tc.insecure)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrNoCredentials) {
					t.Errorf("err %v does not wrap ErrNoCredentials", err)
				}
				for _, want := range []string{tc.addr, "--secret-id", "TENCENTCLOUD_SECRET_ID", "--insecure", "run code"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message %q does not mention %q", err, want)
					}
				}
			}
		})
	}
}
