//go:build unix

package docker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
)

// Parallel load of TestLogsExact: logWorkers instances, each invoked
// logInvocations times in a row, all at once.
const (
	logWorkers     = 8
	logInvocations = 50
)

// TestLogsExact runs many invocations under parallel load, each printing
// lines to stdout and stderr right before it returns, and checks that every
// invocation's log holds exactly its own lines: on the process and docker
// runtimes, for the embedded bootstraps (which write their own end markers)
// and for CustomRuntime and Go1 code (whose markers the runtime writes).
func TestLogsExact(t *testing.T) {
	kinds := []struct {
		fn    string
		spec  func(t *testing.T, dir string) runtime.Spec
		lines func(tag string, partial bool) []string
	}{
		{"Python", func(t *testing.T, _ string) runtime.Spec {
			return testutil.Spec(testutil.Testdata(t, "logs"), "Python3.9", "index.main_handler")
		}, interpreterLines},
		{"Node", func(t *testing.T, _ string) runtime.Spec {
			return testutil.Spec(testutil.Testdata(t, "logs"), "Nodejs16.13", "index.main_handler")
		}, interpreterLines},
		{"CustomRuntime", func(t *testing.T, dir string) runtime.Spec { return dockerSpec(dir, "CustomRuntime", "event") }, dockerfnLines},
		{"Go1", func(t *testing.T, dir string) runtime.Spec { return dockerSpec(dir, "Go1", "event") }, dockerfnLines},
	}
	for _, rtName := range []string{"process", "docker"} {
		t.Run(rtName, func(t *testing.T) {
			rt := logTestRuntime(t, rtName)
			dockerfn := buildDockerFn(t)
			for _, k := range kinds {
				t.Run(k.fn, func(t *testing.T) {
					if rtName == "process" && (k.fn == "Python" || k.fn == "Node") {
						testutil.NeedInterpreter(t, map[string]string{"Python": "python3", "Node": "node"}[k.fn])
					}
					spec := k.spec(t, dockerfn)
					if rtName == "process" {
						spec.Env["DOCKERFN_HOST"] = "127.0.0.1"
					}
					runLogLoad(t, rt, spec, k.lines)
				})
			}
		})
	}
}

// interpreterLines is what testdata/logs prints for tag.
func interpreterLines(tag string, partial bool) []string {
	lines := []string{"out line " + tag + "\n", "err line " + tag + "\n"}
	if partial {
		lines = append(lines, "no newline "+tag)
	}
	return lines
}

// dockerfnLines is what testdata/dockerfn prints for an event named tag.
func dockerfnLines(tag string, _ bool) []string {
	return []string{"dockerfn handled " + tag + "\n", "dockerfn stderr line " + tag + "\n"}
}

// runLogLoad starts logWorkers instances of spec and invokes each
// logInvocations times in parallel, checking every log against lines.
func runLogLoad(t *testing.T, rt runtime.Runtime, spec runtime.Spec, lines func(tag string, partial bool) []string) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan string, logWorkers*logInvocations)
	for w := range logWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := rt.Start(ctx, spec)
			if err != nil {
				errs <- fmt.Sprintf("worker %d: Start: %v", w, err)
				return
			}
			defer in.Stop(context.WithoutCancel(ctx))
			// The first log also holds the start-up output.
			if _, err := in.Invoke(ctx, runtime.Invocation{RequestID: fmt.Sprintf("warm-%d", w), Event: []byte(`{"name":"warm","tag":"warm"}`)}); err != nil {
				errs <- fmt.Sprintf("worker %d: warm-up: %v", w, err)
				return
			}
			for i := range logInvocations {
				tag := fmt.Sprintf("w%d-i%d", w, i)
				partial := i%5 == 4
				ev := fmt.Sprintf(`{"name":%q,"tag":%q,"partial":%v}`, tag, tag, partial)
				res, err := in.Invoke(ctx, runtime.Invocation{RequestID: "req-" + tag, Event: []byte(ev)})
				if err != nil {
					errs <- fmt.Sprintf("%s: Invoke: %v", tag, err)
					return
				}
				if msg := exactLog(res.Log, lines(tag, partial)); msg != "" {
					errs <- fmt.Sprintf("%s: %s", tag, msg)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for e := range errs {
		if n++; n <= 10 {
			t.Error(e)
		}
	}
	if n > 10 {
		t.Errorf("... and %d more", n-10)
	}
}

// exactLog returns "" when log consists of exactly want, in any order
// (stdout and stderr travel apart in a container) and separated by
// nothing but line breaks, else what is wrong.
func exactLog(log string, want []string) string {
	rest := log
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			return fmt.Sprintf("log %q lacks %q", log, w)
		}
		rest = rest[:i] + "\n" + rest[i+len(w):]
	}
	if strings.Trim(rest, "\n") != "" {
		return fmt.Sprintf("log %q holds more than %q", log, want)
	}
	return ""
}
