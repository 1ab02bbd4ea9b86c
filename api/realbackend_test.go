package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/registry"
)

// realBackend is the real registry with a fake runtime: invoking "runs" the
// test function of zip_test.go by reading the TAG its index.py holds in the
// version's snapshot, and answers {"version": <version that ran>, "tag":
// TAG}, which is what the Python function would return. Invocations are
// recorded in an in-memory log store.
type realBackend struct {
	*registry.Registry

	mu   sync.Mutex // guards logs
	logs []LogEntry

	gate chan struct{}  // async runs wait for it to close
	wg   sync.WaitGroup // async runs
}

// The registry is the function and trigger store as it is.
var (
	_ Functions = (*registry.Registry)(nil)
	_ Triggers  = (*registry.Registry)(nil)
	_ Backend   = (*realBackend)(nil)
)

// stringKeys lets rules read the RoutingKey object.
type stringKeys map[string]string

func (k stringKeys) Get(key string) (string, bool) {
	v, ok := k[key]
	return v, ok
}

var tagRE = regexp.MustCompile(`TAG = "([^"]*)"`)

func newRealBackend(t *testing.T, dir string) *realBackend {
	t.Helper()
	reg, err := registry.Open(registry.Options{Dir: dir, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b := &realBackend{Registry: reg, gate: make(chan struct{})}
	t.Cleanup(func() {
		b.release()
		b.wg.Wait()
		_ = reg.Close()
	})
	return b
}

// release lets async runs finish.
func (b *realBackend) release() {
	select {
	case <-b.gate:
	default:
		close(b.gate)
	}
}

func (b *realBackend) Invoke(_ context.Context, req InvokeRequest) (InvokeResult, error) {
	d, cfg, err := b.Resolve(req.Function, req.Qualifier, stringKeys(req.RoutingKey))
	if err != nil {
		return InvokeResult{}, err
	}
	if cfg.Type == registry.TypeHTTP {
		return InvokeResult{}, fmt.Errorf("%w: %s", registry.ErrFunctionType, req.Function)
	}
	v, err := b.Version(req.Function, d.Version)
	if err != nil {
		return InvokeResult{}, err
	}
	entry := LogEntry{
		RequestID: uuid.NewString(), Function: req.Function, Qualifier: req.Qualifier,
		Version: d.Version, Alias: d.Alias, StartTime: time.Now(),
	}
	run := func() InvokeResult {
		src, err := os.ReadFile(filepath.Join(v.CodeDir, "index.py"))
		tag := "?"
		if m := tagRE.FindSubmatch(src); err == nil && m != nil {
			tag = string(m[1])
		}
		payload, _ := json.Marshal(map[string]string{"version": d.Version, "tag": tag})
		return InvokeResult{RequestID: entry.RequestID, Version: d.Version, Payload: payload, Duration: time.Millisecond, MemUsage: 1 << 20}
	}
	if !req.Async {
		res := run()
		entry.Status, entry.RetMsg, entry.Duration = 200, string(res.Payload), res.Duration
		b.record(entry)
		return res, nil
	}
	entry.Running = true
	i := b.record(entry)
	b.wg.Go(func() {
		<-b.gate
		res := run()
		b.mu.Lock()
		defer b.mu.Unlock()
		e := &b.logs[i]
		e.Running, e.Status, e.RetMsg, e.Duration = false, 200, string(res.Payload), res.Duration
	})
	return InvokeResult{RequestID: entry.RequestID, Version: d.Version}, nil
}

func (b *realBackend) record(e LogEntry) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.logs = append(b.logs, e)
	return len(b.logs) - 1
}

func (b *realBackend) FunctionLogs(_ context.Context, q LogQuery) ([]LogEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []LogEntry
	for _, e := range b.logs {
		if q.matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}
