package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/registry"
)

// closedEndpoint is a loopback URL nothing listens on: a command that got
// as far as the network would fail with exit 1, not 2.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestBadFlagValues: every bad flag value exits 2 before anything is sent,
// with a message naming the flag as the user typed it.
func TestBadFlagValues(t *testing.T) {
	ep := closedEndpoint(t)
	alias := []string{"alias", "create", "B", "canary", "--version", "1"}
	rollout := []string{"rollout", "B", "--alias", "release", "--to", "2", "--schedule", "AllAtOnce"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"weight NaN", append(alias, "--weight", "2=NaN"), `--weight "2=NaN": want a fraction`},
		{"weight Inf", append(alias, "--weight", "2=+Inf"), "--weight"},
		{"weight above 1", append(alias, "--weight", "2=1.5"), `--weight "2=1.5": want a fraction`},
		{"weight no share", append(alias, "--weight", "2"), "--weight"},
		{"weight no version", append(alias, "--weight", "=0.1"), "--weight"},
		{"weights above 1 together", append(alias, "--weight", "2=0.6", "--weight", "3=0.6"), "--weight"},
		{"rule short", append(alias, "--rule", "2:invoke.headers.User"), "--rule"},
		{"rule method", append(alias, "--rule", "2:invoke.headers.User like Bob"), "--rule"},
		{"shadow NaN", append(alias, "--shadow", "2=NaN"), "--shadow"},
		{"shadow zero", append(alias, "--shadow", "2=0"), "--shadow"},
		{"alias without version", []string{"alias", "create", "B", "canary"}, "--version"},
		{"event not JSON", []string{"invoke", "B", "--event", "{bad"}, "--event"},
		{"event file missing", []string{"invoke", "B", "--event", "@/nonexistent/event.json"}, "--event"},
		{"routing key not an object", []string{"invoke", "B", "--routing-key", "[1]"}, "--routing-key"},
		{"routing key not JSON", []string{"invoke", "B", "--routing-key", "User=Bob"}, "--routing-key"},
		{"log not a bool", []string{"invoke", "B", "--log=maybe"}, "--log"},
		{"traffic NaN", []string{"deploy", "B", "--traffic", "NaN"}, "--traffic"},
		{"traffic above 1", []string{"deploy", "B", "--traffic", "2"}, "--traffic"},
		{"traffic missing", []string{"deploy", "B"}, "--traffic"},
		{"window not a duration", []string{"stats", "B", "--window", "5"}, "--window"},
		{"window zero", []string{"stats", "B", "--window", "0s"}, "--window"},
		{"window negative", []string{"stats", "B", "--window", "-1m"}, "--window"},
		{"logs n not a number", []string{"logs", "B", "-n", "x"}, "-n"},
		{"logs n negative", []string{"logs", "B", "-n", "-5"}, "-n"},
		{"max error rate NaN", append(rollout, "--max-error-rate", "NaN"), "--max-error-rate"},
		{"max error rate above 1", append(rollout, "--max-error-rate", "2"), "--max-error-rate"},
		{"speed zero", append(rollout, "--speed", "0"), "--speed"},
		{"speed NaN", append(rollout, "--speed", "NaN"), "--speed"},
		{"speed Inf", append(rollout, "--speed", "Inf"), "--speed"},
		{"interval not a duration", append(rollout, "--interval", "30"), "--interval"},
		{"interval negative", append(rollout, "--interval", "-1s"), "--interval"},
		{"max p99 negative", append(rollout, "--max-p99", "-1ms"), "--max-p99"},
		{"min requests negative", append(rollout, "--min-requests", "-1"), "--min-requests"},
		{"min requests not a number", append(rollout, "--min-requests", "many"), "--min-requests"},
		{"steps not numbers", append(rollout, "--steps", "10,x"), "--steps"},
		{"hook without function", append(rollout, "--pre-traffic", ":1"), "--pre-traffic"},
		{"rollout without to", []string{"rollout", "B", "--alias", "release"}, "--to"},
		{"split n zero", []string{"split-test", "B", "-n", "0"}, "-n"},
		{"split concurrency", []string{"split-test", "B", "--concurrency", "x"}, "--concurrency"},
		{"split timeout", []string{"split-test", "B", "--timeout", "0s"}, "--timeout"},
		{"split users", []string{"split-test", "B", "--users", "-1"}, "--users"},
		{"split gateway elsewhere", []string{"split-test", "B", "--gateway", "http://10.1.2.3:8080"}, "--gateway"},
		{"split header", []string{"split-test", "B", "--header", "NoValue"}, "--header"},
		{"unknown flag", []string{"versions", "B", "--window", "1m"}, "--window"},
		{"endpoint not a URL", []string{"versions", "B", "--endpoint", "ftp://x"}, "endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(t.Context(), append([]string{"--endpoint", ep}, tc.args...), &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("emulator %s: exit %d, stderr %q; want exit 2 naming %s", strings.Join(tc.args, " "), code, errOut.String(), tc.want)
			}
		})
	}
}

// TestBadServerFlags: up and init refuse bad values before touching
// anything (no state dir, no listener, no file).
func TestBadServerFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--max-instances", "0"}, "--max-instances"},
		{[]string{"up", "--idle-timeout", "0s"}, "--idle-timeout"},
		{[]string{"up", "--idle-timeout", "5"}, "--idle-timeout"},
		{[]string{"up", "--runtime", "podman"}, "--runtime"},
		{[]string{"up", "--image", "python:3.9"}, "--image"},
		{[]string{"up", "--log-level", "loud"}, "--log-level"},
		{[]string{"up", "--seed", "-1"}, "--seed"},
		{[]string{"up", "-f", "missing.yaml"}, "-f missing.yaml"},
		{[]string{"init", "--runtime", "Java8"}, "--runtime"},
		{[]string{"init", "--type", "cron"}, "--type"},
		{[]string{"init", "--name", "1st"}, "--name"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "up"}, "--endpoint"},
		{[]string{"--frobnicate", "versions"}, "--frobnicate"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(t.Context(), tc.args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("emulator %s: exit %d, stderr %q; want exit 2 naming %s", strings.Join(tc.args, " "), code, errOut.String(), tc.want)
		}
	}
	if entries, _ := filepath.Glob("*"); len(entries) > 0 {
		t.Errorf("bad flags left files behind: %v", entries)
	}
}

// TestNothingListening: a client command that reaches no emulator names the
// endpoint it tried, EMULATOR_ENDPOINT, and emulator up.
func TestNothingListening(t *testing.T) {
	ep := closedEndpoint(t)
	for _, args := range [][]string{
		{"versions", "B"}, {"invoke", "B"}, {"logs", "B"}, {"stats", "B"},
		{"rollout", "B", "--alias", "release", "--status"}, {"split-test", "B"},
	} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), append([]string{"--endpoint", ep}, args...), &out, &errOut)
		msg := errOut.String()
		if code != 1 || !strings.Contains(msg, ep) || !strings.Contains(msg, "EMULATOR_ENDPOINT") || !strings.Contains(msg, "emulator up") {
			t.Errorf("emulator %s with nothing at %s: exit %d, %q", strings.Join(args, " "), ep, code, msg)
		}
	}
}

// TestEndpointBeforeOrAfterTheCommand: the global --endpoint works before
// the command as after it, for every command whose flags take it, gc
// --parked among them: the same exit code and output either way. A command
// that takes none refuses it in both places, naming itself.
func TestEndpointBeforeOrAfterTheCommand(t *testing.T) {
	_, ep := aliasServer(t, api.Options{})
	closed := closedEndpoint(t)
	// A state folder an emulator holds, and nothing at the endpoint:
	// gc --parked gets as far as asking it.
	state := t.TempDir()
	reg, err := registry.Open(registry.Options{Dir: state})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	if err := os.WriteFile(filepath.Join(state, "state.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		endpoint string
		args     []string
		wantCode int
		want     string
	}{
		{"versions", ep, []string{"versions", "B"}, 0, "VERSION"},
		{"alias list", ep, []string{"alias", "list", "B"}, 0, "$DEFAULT"},
		{"namespace list", ep, []string{"namespace", "list"}, 0, "default"},
		{"rollout status", closed, []string{"rollout", "B", "--alias", "release", "--status"}, 1, closed},
		{"gc --parked", closed, []string{"gc", "--parked", "--state-dir", state}, 1,
			state + " is in use by a running emulator, and asking it failed"},
		{"gc without --parked", closed, []string{"gc"}, 2, "gc: --endpoint goes with --parked"},
		{"up", closed, []string{"up"}, 2, "--endpoint is for the commands that talk to an emulator; up takes none"},
		{"event", closed, []string{"event", "timer"}, 2, "--endpoint is for the commands that talk to an emulator; event takes none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // up must not start anything here
			var outs [2]string
			for i, args := range [][]string{
				append([]string{"--endpoint", tc.endpoint}, tc.args...),
				append(slices.Clone(tc.args), "--endpoint", tc.endpoint),
			} {
				code, out := cli2(t, args...)
				if code != tc.wantCode || !strings.Contains(out, tc.want) {
					t.Errorf("emulator %s: exit %d\n%s\nwant exit %d and %q", strings.Join(args, " "), code, out, tc.wantCode, tc.want)
				}
				outs[i] = out
			}
			if outs[0] != outs[1] {
				t.Errorf("--endpoint before and after the command differ:\n%s\n---\n%s", outs[0], outs[1])
			}
		})
	}
}

// TestEndpointWithHelp: help asked for with the global --endpoint before
// the command is help, not a refusal of the flag.
func TestEndpointWithHelp(t *testing.T) {
	closed := closedEndpoint(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "emulator: a local Tencent SCF"},
		{[]string{"up", "--help"}, "emulator up:"},
		{[]string{"versions", "-h"}, "emulator versions:"},
	} {
		args := append([]string{"--endpoint", closed}, tc.args...)
		if code, out := cli2(t, args...); code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("emulator %s: exit %d\n%s\nwant exit 0 and %q", strings.Join(args, " "), code, out, tc.want)
		}
	}
}
