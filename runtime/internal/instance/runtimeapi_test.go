//go:build unix

package instance

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// apiTestClient plays the function side of the runtime API.
type apiTestClient struct {
	t    *testing.T
	base string
}

func (c apiTestClient) do(method, path, body string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

func newAPITest(t *testing.T) (*APIServer, apiTestClient) {
	t.Helper()
	s, err := NewAPIServer("127.0.0.1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, apiTestClient{t: t, base: "http://127.0.0.1:" + s.Port()}
}

// offer hands call to the server the way Invoke does.
func offer(t *testing.T, s *APIServer, call *apiCall) {
	t.Helper()
	go func() {
		select {
		case s.next <- call:
		case <-time.After(testutil.Timeout):
		}
	}()
}

func TestAPIServerProtocol(t *testing.T) {
	s, c := newAPITest(t)
	select {
	case <-s.ready:
		t.Fatal("ready before /runtime/init/ready")
	default:
	}
	c.do(http.MethodPost, "/runtime/init/ready", " ")
	c.do(http.MethodPost, "/runtime/init/ready", " ") // repeats are harmless
	testutil.WaitClosed(t, s.ready, "ready")

	call := newAPICall(runtime.Invocation{RequestID: "r1", Event: []byte(`{"a":1}`)}, 128, 3000)
	offer(t, s, call)
	resp, body := c.do(http.MethodGet, "/runtime/invocation/next", "")
	if body != `{"a":1}` {
		t.Errorf("event = %q", body)
	}
	for k, want := range map[string]string{"request_id": "r1", "memory_limit_in_mb": "128", "time_limit_in_ms": "3000"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// A repeated GET within the invocation gets the same event.
	resp, body = c.do(http.MethodGet, "/runtime/invocation/next", "")
	if body != `{"a":1}` || resp.Header.Get("request_id") != "r1" {
		t.Errorf("repeated next = %q %v, want the same event", body, resp.Header)
	}
	c.do(http.MethodPost, "/runtime/invocation/response", `{"ok":true}`)
	c.do(http.MethodPost, "/runtime/invocation/response", `"too late"`) // first post is final
	testutil.WaitClosed(t, call.done, "response")
	if string(call.payload) != `{"ok":true}` || call.err != nil {
		t.Errorf("result = %q, %v; want the first post", call.payload, call.err)
	}
	if call.finishedAt.Before(call.deliveredAt) {
		t.Error("finished before delivered")
	}
}

func TestAPIServerErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		class *scferr.Error
		stack string
	}{
		{"bootstrap json", `{"errorType":"ValueError","errorMessage":"bad","stackTrace":"Traceback: x"}`, scferr.ErrUserCode, "ValueError: bad\nTraceback: x"},
		{"stack as lines", `{"errorType":"E","errorMessage":"m","stackTrace":["a","b"]}`, scferr.ErrUserCode, "E: m\na\nb"},
		// A stack that names the error already is the platform's stackTrace
		// as it is: Python's traceback names it last, Node.js's stack first.
		{"python traceback", `{"errorType":"ValueError","errorMessage":"bad","stackTrace":"Traceback (most recent call last):\n  File \"/var/user/index.py\", line 2, in main_handler\nValueError: bad\n"}`,
			scferr.ErrUserCode, "Traceback (most recent call last):\n  File \"/var/user/index.py\", line 2, in main_handler\nValueError: bad"},
		{"python traceback of a qualified type", `{"errorType":"HTTPError","errorMessage":"404","stackTrace":"Traceback (most recent call last):\nrequests.exceptions.HTTPError: 404\n"}`,
			scferr.ErrUserCode, "Traceback (most recent call last):\nrequests.exceptions.HTTPError: 404"},
		{"node stack", `{"errorType":"TypeError","errorMessage":"boom","stackTrace":"TypeError: boom\n    at f (/var/user/index.js:1:2)"}`,
			scferr.ErrUserCode, "TypeError: boom\n    at f (/var/user/index.js:1:2)"},
		{"node stack without a message", `{"errorType":"Error","errorMessage":"","stackTrace":"Error\n    at f (/var/user/index.js:1:2)"}`,
			scferr.ErrUserCode, "Error\n    at f (/var/user/index.js:1:2)"},
		{"stack that only mentions the message", `{"errorType":"E","errorMessage":"m","stackTrace":"x E: m y"}`, scferr.ErrUserCode, "E: m\nx E: m y"},
		{"plain text", "something broke\n", scferr.ErrUserCode, "something broke"},
		{"json without error fields", `{"x":1}`, scferr.ErrUserCode, `{"x":1}`},
	}
	s, c := newAPITest(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			call := newAPICall(runtime.Invocation{RequestID: strconv.Itoa(i), Event: []byte(`{}`)}, 128, 3000)
			offer(t, s, call)
			c.do(http.MethodGet, "/runtime/invocation/next", "")
			c.do(http.MethodPost, "/runtime/invocation/error", tc.body)
			testutil.WaitClosed(t, call.done, "error post")
			if !errors.Is(call.err, tc.class) {
				t.Fatalf("err = %v, want status %d", call.err, tc.class.Status)
			}
			if got := scferr.As(call.err).StackTrace; got != tc.stack {
				t.Errorf("stack trace = %q, want %q", got, tc.stack)
			}
		})
	}
	t.Run("response too large", func(t *testing.T) {
		call := newAPICall(runtime.Invocation{RequestID: "big", Event: []byte(`{}`)}, 128, 3000)
		offer(t, s, call)
		c.do(http.MethodGet, "/runtime/invocation/next", "")
		c.do(http.MethodPost, "/runtime/invocation/response", `"`+strings.Repeat("x", maxResponseBytes)+`"`)
		testutil.WaitClosed(t, call.done, "response")
		if !errors.Is(call.err, scferr.ErrResponseTooLarge) {
			t.Errorf("err = %v, want 407", call.err)
		}
	})
}

func TestAPIServerCloseEndsLongPoll(t *testing.T) {
	s, c := newAPITest(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/runtime/invocation/next", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the poll arrive; close must end it either way
	s.Close()
	testutil.WaitClosed(t, done, "long poll to end")
}
