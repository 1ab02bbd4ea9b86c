package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/tc3"
)

// serveTolerant serves a fake-backed Server that checks signatures, through
// TolerantListener (or not), and returns its address.
func serveTolerant(t *testing.T, tolerant bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	if tolerant {
		ln = TolerantListener(ln)
	}
	srv := &http.Server{
		Handler:           New(newFake(), Options{SecretID: "AKIDtccli", SecretKey: "tccli-key"}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// tccliRequest renders a request the way tccli's Python SDK sends it for
// --endpoint http://ADDR: Host is the endpoint string verbatim, json.dumps
// puts spaces after separators, and the signature covers that Host. signHost
// overrides the host that is signed; extra headers go before the body.
func tccliRequest(host, signHost, action, body string, chunked bool, extra ...string) string {
	if signHost == "" {
		signHost = host
	}
	now := time.Now()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	auth := tc3.Sign(tc3.Request{Method: "POST", Host: signHost, Header: h, Body: []byte(body)}, "scf", "AKIDtccli", "tccli-key", now)
	var b strings.Builder
	fmt.Fprintf(&b, "POST / HTTP/1.1\r\nHost: %s\r\nUser-Agent: python-requests/2.31\r\nAccept-Encoding: gzip, deflate\r\n", host)
	fmt.Fprintf(&b, "X-TC-Action: %s\r\nX-TC-Version: %s\r\nX-TC-Timestamp: %s\r\nX-TC-Region: ap-guangzhou\r\n", action, APIVersion, h.Get("X-TC-Timestamp"))
	fmt.Fprintf(&b, "X-TC-RequestClient: SDK_PYTHON_3.0.1\r\nContent-Type: application/json\r\nAuthorization: %s\r\n", auth)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	if chunked {
		half := len(body) / 2
		fmt.Fprintf(&b, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n", half, body[:half], len(body)-half, body[half:])
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	return b.String()
}

// readAnswer reads one response and returns its status, Content-Type and
// error code ("" for success).
func readAnswer(t *testing.T, br *bufio.Reader) (int, string, string, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	must(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	code := ""
	var e envelope
	if json.Unmarshal(data, &e) == nil && e.Response.Error != nil {
		code = e.Response.Error.Code
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), code, data
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	must(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return c, bufio.NewReader(c)
}

func TestTolerantListenerTccliReplay(t *testing.T) {
	addr := serveTolerant(t, true)
	tests := []struct {
		name, host, signHost, code string
		extra                      []string
	}{
		{"tccli http endpoint", "http://" + addr, "", "", nil},
		{"https scheme and trailing slash", "https://" + addr + "/", "", "", nil},
		{"upper-case scheme", "HTTP://" + addr, "", "", nil},
		{"plain host still works", addr, "", "", nil},
		{"signed over the repaired host fails", "http://" + addr, addr, "AuthFailure.SignatureFailure", nil},
		{"client cannot forge the original host", addr, "", "", []string{OriginalHostHeader + ": forged"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, br := dial(t, addr)
			_, err := io.WriteString(c, tccliRequest(tc.host, tc.signHost, "GetFunction", `{"FunctionName": "hello"}`, false, tc.extra...))
			must(t, err)
			status, ct, code, data := readAnswer(t, br)
			if status != 200 || ct != "application/json" || code != tc.code {
				t.Errorf("status %d Content-Type %q answer %s, want 200, application/json and code %q", status, ct, data, tc.code)
			}
			if tc.code == "" && !strings.Contains(string(data), `"FunctionName":"hello"`) {
				t.Errorf("answer %s is not hello's configuration", data)
			}
		})
	}
}

func TestTolerantListenerKeepAlivePipelining(t *testing.T) {
	addr := serveTolerant(t, true)
	c, br := dial(t, addr)
	reqs := tccliRequest("http://"+addr, "", "GetFunction", `{"FunctionName": "hello"}`, false) +
		tccliRequest("http://"+addr, "", "ListAliases", `{"FunctionName": "hello", "Offset": "0"}`, true, OriginalHostHeader+": forged") +
		tccliRequest("http://"+addr, "", "GetAlias", `{"FunctionName": "hello", "Name": "release"}`, false)
	// All three in one go, then a fourth written a few bytes at a time so the
	// header block arrives split across reads.
	_, err := io.WriteString(c, reqs)
	must(t, err)
	for i, want := range []string{`"FunctionName":"hello"`, `"Aliases":[`, `"Name":"release"`} {
		status, _, code, data := readAnswer(t, br)
		if status != 200 || code != "" || !strings.Contains(string(data), want) {
			t.Errorf("answer %d: status %d %s, want success with %s", i+1, status, data, want)
		}
	}
	last := tccliRequest("http://"+addr, "", "ListVersionByFunction", `{"FunctionName": "hello"}`, false)
	for i := 0; i < len(last); i += 7 {
		_, err := io.WriteString(c, last[i:min(i+7, len(last))])
		must(t, err)
		time.Sleep(time.Millisecond)
	}
	status, _, code, data := readAnswer(t, br)
	if status != 200 || code != "" || !strings.Contains(string(data), `"FunctionVersion":["$LATEST"`) {
		t.Errorf("split request: status %d %s", status, data)
	}
}

// TestPlainListenerRejectsTccli shows the problem TolerantListener solves:
// Go's server refuses tccli's Host before any handler runs.
func TestPlainListenerRejectsTccli(t *testing.T) {
	addr := serveTolerant(t, false)
	c, br := dial(t, addr)
	_, err := io.WriteString(c, tccliRequest("http://"+addr, "", "GetFunction", `{"FunctionName": "hello"}`, false))
	must(t, err)
	resp, err := http.ReadResponse(br, nil)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400 from net/http", resp.StatusCode)
	}
}

// TestRewriterAnySplit feeds two pipelined requests split at every byte and
// expects the same rewritten stream as when fed at once.
func TestRewriterAnySplit(t *testing.T) {
	in := "POST / HTTP/1.1\r\nHost: http://h:1\r\nX-Emulator-Original-Host: evil\r\nContent-Length: 5\r\n\r\nHost:" +
		"\r\n" + // stray empty line between requests
		"POST /x HTTP/1.1\r\nhost: https://h:2/p\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
		"GET / HTTP/1.0\nHost: h:3\n\n"
	want := "POST / HTTP/1.1\r\nHost: h:1\r\nX-Emulator-Original-Host: http://h:1\r\nContent-Length: 5\r\n\r\nHost:" +
		"\r\n" +
		"POST /x HTTP/1.1\r\nHost: h:2\r\nX-Emulator-Original-Host: https://h:2/p\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
		"GET / HTTP/1.0\nHost: h:3\n\n"
	run := func(parts ...string) string {
		var w rewriter
		var out bytes.Buffer
		buf := make([]byte, 3)
		for _, p := range parts {
			w.feed([]byte(p))
			for n := w.take(buf); n > 0; n = w.take(buf) {
				out.Write(buf[:n])
			}
		}
		return out.String()
	}
	if got := run(in); got != want {
		t.Fatalf("whole:\n%q\nwant\n%q", got, want)
	}
	for k := 1; k < len(in); k++ {
		if got := run(in[:k], in[k:]); got != want {
			t.Fatalf("split at %d:\n%q\nwant\n%q", k, got, want)
		}
	}
	bytewise := make([]string, len(in))
	for i := range in {
		bytewise[i] = in[i : i+1]
	}
	if got := run(bytewise...); got != want {
		t.Fatalf("byte by byte:\n%q\nwant\n%q", got, want)
	}
}

func TestRewriterPassesWhatItDoesNotUnderstand(t *testing.T) {
	tests := []struct{ name, in string }{
		{"http2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nHost: http://x\r\n\r\n"},
		{"bad content length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\nPOST / HTTP/1.1\r\nHost: http://b\r\n\r\n"},
		{"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nPOST / HTTP/1.1\r\nHost: http://b\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w rewriter
			w.feed([]byte(tc.in))
			w.finish()
			out := make([]byte, len(tc.in)*2)
			n := w.take(out)
			if got := string(out[:n]); got != tc.in {
				t.Errorf("out = %q, want the input unchanged", got)
			}
		})
	}
}
