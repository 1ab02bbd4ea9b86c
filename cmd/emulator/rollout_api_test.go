package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/rollout"
)

// post sends body to an emulator endpoint unsigned and returns the status
// and the answer.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// slowPlan holds its first step for an hour: it stays running.
const slowPlan = `{"function":"B","alias":"release","to":"2","steps":[0.1,1],"interval":"1h"}`

func TestRolloutEndpoints(t *testing.T) {
	app, stop, cfg, state := rolloutApp(t)
	base := app.AdminURL() + "/emulator/rollouts"

	cases := []struct {
		name, body string
		want       int
		wantText   string
	}{
		{"unknown field", `{"function":"B","alias":"release","to":"2","stepz":[1]}`, 400, "unknown field"},
		{"unknown function", `{"function":"X","alias":"release","to":"2","schedule":"AllAtOnce"}`, 404, "function not found"},
		{"unknown alias", `{"function":"B","alias":"nope","to":"2","schedule":"AllAtOnce"}`, 404, "alias not found"},
		{"unknown version", `{"function":"B","alias":"release","to":"9","schedule":"AllAtOnce"}`, 400, "to: version not found"},
		{"bad steps", `{"function":"B","alias":"release","to":"2","steps":[0.5,0.2,1],"interval":"1s"}`, 400, "steps must increase"},
		{"bad gate", `{"function":"B","alias":"release","to":"2","schedule":"AllAtOnce","gates":{"maxErrorRate":2}}`, 400, "gates.maxErrorRate 2"},
		{"bad duration", `{"function":"B","alias":"release","to":"2","steps":[1],"interval":"soon"}`, 400, "soon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, base, tc.body)
			if code != tc.want || !strings.Contains(body, tc.wantText) {
				t.Errorf("POST = %d %s, want %d with %q", code, body, tc.want, tc.wantText)
			}
		})
	}

	code, body := post(t, base, slowPlan)
	var started rollout.Status
	if err := json.Unmarshal([]byte(body), &started); code != 201 || err != nil || started.State != rollout.StateRunning {
		t.Fatalf("start = %d %s", code, body)
	}
	if code, body := post(t, base, slowPlan); code != 409 || !strings.Contains(body, started.ID) {
		t.Errorf("second start = %d %s, want 409 naming %s", code, body, started.ID)
	}
	eventually(t, 30*time.Second, "step 1 on the alias", func() bool {
		al, _ := app.reg.Alias("B", "release")
		return len(al.Weights) == 1 && al.Weights[0].Weight == 0.1
	})

	// The emulator restarts in the middle: the rollout resumes.
	stop()
	app, _ = startApp(t, cfg, state)
	base = app.AdminURL() + "/emulator/rollouts"
	resp, err := http.Get(base + "?function=B&alias=release")
	if err != nil {
		t.Fatal(err)
	}
	var list []rollout.Status
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list) != 1 {
		t.Fatalf("list after restart: %v, %v", list, err)
	}
	if st := list[0]; st.ID != started.ID || st.State != rollout.StateRunning || st.Weight != 0.1 {
		t.Errorf("after restart: %+v, want %s running at 10%%", st, started.ID)
	}

	// A watcher sees the abort and its stream ends.
	resp, err = http.Get(base + "/watch?function=B&alias=release&id=" + started.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || !strings.Contains(lines.Text(), `"state":"running"`) {
		t.Fatalf("first watch line: %q", lines.Text())
	}
	if code, body := post(t, base+"/abort?function=B&alias=release", ""); code != 200 || !strings.Contains(body, `"state":"aborted"`) {
		t.Errorf("abort = %d %s", code, body)
	}
	var last string
	for lines.Scan() {
		last = lines.Text()
	}
	if !strings.Contains(last, `"state":"aborted"`) {
		t.Errorf("last watch line %q, want the abort", last)
	}
	if al, _ := app.reg.Alias("B", "release"); al.FunctionVersion != "1" || len(al.Weights) != 0 {
		t.Errorf("alias after abort = %+v", al)
	}
	if code, _ := post(t, base+"/abort?function=B&alias=release", ""); code != 409 {
		t.Errorf("second abort = %d, want 409", code)
	}
	if code, body := post(t, base+"/abort?function=B&alias=release", `{"function":"C"}`); code != 400 {
		t.Errorf("abort with query and body disagreeing = %d %s, want 400", code, body)
	}
}

func TestRolloutCLI(t *testing.T) {
	app, _, _, _ := rolloutApp(t)
	ep := []string{"--endpoint", app.AdminURL()}
	cases := []struct {
		name     string
		args     []string
		want     int
		wantText string
	}{
		{"no alias", []string{"B", "--to", "2", "--schedule", "AllAtOnce"}, 2, "--alias is required"},
		{"bad steps", []string{"B", "--alias", "release", "--to", "2", "--steps", "50,20"}, 2, "steps must increase"},
		{"bad plan on the server", []string{"B", "--alias", "release", "--to", "2", "--steps", "50,100"}, 2, "steps need an interval"},
		{"bad hook", []string{"B", "--alias", "release", "--to", "2", "--schedule", "AllAtOnce", "--pre-traffic", ":1"}, 2, "--pre-traffic"},
		{"no rollout yet", []string{"B", "--alias", "release", "--status"}, 1, "no rollout of alias release"},
		{"nothing to abort", []string{"B", "--alias", "release", "--abort"}, 1, "no rollout is running"},
		{"failing pre-traffic hook", []string{"B", "--alias", "release", "--to", "3", "--schedule", "AllAtOnce", "--pre-traffic", "B:2"},
			1, "failed: pre-traffic hook B:2 failed: version 2 answered status 430"},
		{"detach", []string{"B", "--alias", "release", "--to", "3", "--steps", "10,100", "--interval", "1h", "--detach"}, 0, "follow it with"},
		{"abort", []string{"B", "--alias", "release", "--abort"}, 0, "aborted: aborted from the CLI"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(append([]string{"rollout"}, tc.args...), ep...)...)
			if code != tc.want || !strings.Contains(out+errOut, tc.wantText) {
				t.Errorf("exit %d, output %q; want %d with %q", code, out+errOut, tc.want, tc.wantText)
			}
		})
	}
	if al, _ := app.reg.Alias("B", "release"); al.FunctionVersion != "1" || len(al.Weights) != 0 {
		t.Errorf("alias at the end = %+v, want it back on 1", al)
	}
}

// TestRolloutNeedsSignatures: with credentials, the changing endpoints only
// take signed requests, which the CLI makes from TENCENTCLOUD_SECRET_ID/KEY.
func TestRolloutNeedsSignatures(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{ConfigPath: cfg, Runtime: testRuntime(), GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: t.TempDir(), SecretID: "AKIDtest", SecretKey: "secret", IdleTimeout: time.Minute, MaxInstances: 2})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if _, err := app.reg.Publish(ctx, "B", "v1"); err != nil {
		t.Fatal(err)
	}
	base := app.AdminURL() + "/emulator/rollouts"
	plan := `{"function":"B","alias":"release","to":"1","steps":[0.5,1],"interval":"1h"}`
	if code, body := post(t, base, plan); code != 401 || !strings.Contains(body, "authentication required") {
		t.Errorf("unsigned start = %d %s, want 401", code, body)
	}
	if code, _ := post(t, base+"/abort?function=B&alias=release", ""); code != 401 {
		t.Errorf("unsigned abort = %d, want 401", code)
	}
	t.Setenv("TENCENTCLOUD_SECRET_ID", "AKIDtest")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "wrong")
	args := []string{"rollout", "B", "--alias", "release", "--to", "1", "--steps", "50,100", "--interval", "1h", "--detach", "--endpoint", app.AdminURL()}
	if code, _, errOut := runCLI(t, args...); code != 1 || !strings.Contains(errOut, "401 Unauthorized: signature verification failed") {
		t.Errorf("wrong key: exit %d, %q", code, errOut)
	}
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "secret")
	if code, out, errOut := runCLI(t, args...); code != 0 || !strings.Contains(out, "started B/release/") {
		t.Fatalf("signed start: exit %d, %q %q", code, out, errOut)
	}
	c, err := newEmuClient(app.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := post(t, base+"/abort?function=B&alias=release", ""); code != 401 {
		t.Errorf("unsigned abort of a running rollout = %d, want 401", code)
	}
	var st rollout.Status
	err = c.doJSON(ctx, http.MethodPost, "/emulator/rollouts/abort", url.Values{"function": {"B"}, "alias": {"release"}}, struct{}{}, &st)
	if e := (*emuError)(nil); !errors.As(err, &e) || e.Status != 400 || !strings.Contains(e.Message, "signed body") {
		t.Errorf("signed abort naming the rollout only in the query: %v, want 400 (a POST query is not signed)", err)
	}
	if code, _, errOut := runCLI(t, "rollout", "B", "--alias", "release", "--abort", "--endpoint", app.AdminURL()); code != 0 {
		t.Errorf("signed abort: exit %d, %q", code, errOut)
	}
	if al, _ := app.reg.Alias("B", "release"); al.FunctionVersion != "$LATEST" || len(al.Weights) != 0 {
		t.Errorf("alias after abort = %+v", al)
	}
}
