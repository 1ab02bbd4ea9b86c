package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// harness is a Server on a loopback httptest server with an SDK client.
type harness struct {
	backend *fakeBackend
	client  *scf.Client
	url     string
	logs    *syncBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, Options{})
}

// newHarnessWith serves a fresh fake with opts; opts.Logger is replaced by
// one writing to harness.logs.
func newHarnessWith(t *testing.T, opts Options) *harness {
	t.Helper()
	b := newFake()
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	srv := httptest.NewServer(New(b, opts))
	t.Cleanup(srv.Close)
	return &harness{backend: b, client: sdkClient(t, srv.URL, "id", "key"), url: srv.URL, logs: logs}
}

// sdkClient is the official SDK pointed at url with the given credentials.
func sdkClient(t *testing.T, url, secretID, secretKey string) *scf.Client {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(url, "http://")
	cpf.HttpProfile.Scheme = "http"
	cpf.HttpProfile.ReqTimeout = 120 // seconds, a hang guard: a 6 MB event signed and parsed under -race on a loaded machine took over 10
	client, err := scf.NewClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatalf("scf.NewClient: %v", err)
	}
	return client
}

// syncBuffer lets the test read logs the server goroutines write.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sdkCode returns the platform error code of an SDK call's error.
func sdkCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded, want an error")
	}
	e, ok := errors.AsType[*tcerr.TencentCloudSDKError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a TencentCloudSDKError", err, err)
	}
	if e.RequestId == "" {
		t.Errorf("error %s has no RequestId", e.Code)
	}
	return e.Code
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := sdkCode(t, err); got != want {
		t.Errorf("code = %s, want %s (%v)", got, want, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// raw posts body with the given headers and returns the response and body.
func (h *harness) raw(t *testing.T, action, version, body string) (*http.Response, []byte) {
	t.Helper()
	return rawRequest(t, http.MethodPost, h.url+"/", action, version, body)
}

func rawRequest(t *testing.T, method, url, action, version, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if action != "" {
		req.Header.Set("X-TC-Action", action)
	}
	if version != "" {
		req.Header.Set("X-TC-Version", version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// envelope is the generic answer shape.
type envelope struct {
	Response struct {
		Error *struct {
			Code    string
			Message string
		}
		RequestId string
	}
}

func decodeEnvelope(t *testing.T, data []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, data)
	}
	return e
}

// rawCode returns the error code of a raw answer, "" for a success.
func rawCode(t *testing.T, data []byte) string {
	t.Helper()
	e := decodeEnvelope(t, data)
	if e.Response.RequestId == "" {
		t.Errorf("answer has no RequestId: %s", data)
	}
	if e.Response.Error == nil {
		return ""
	}
	return e.Response.Error.Code
}

func s(v string) *string { return common.StringPtr(v) }

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
