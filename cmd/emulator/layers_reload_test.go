package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

const layerReloadConfig = `layers:
  common: {source: ./layers/common, runtimes: [Python3.9]}
functions:
  L:
    source: ./fn
    runtime: Python3.9
    handler: index.main_handler
    layers: [common]
`

// layerEvents records layer and config reloads; the rest is discarded.
type layerEvents struct {
	configEvents
	mu     sync.Mutex // guards layers
	layers []LayerReport
}

func (e *layerEvents) LayerReload(r LayerReport) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.layers = append(e.layers, r)
}

func (e *layerEvents) layerReports() []LayerReport {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]LayerReport(nil), e.layers...)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLayerFolderEditReloadsLatest runs a real App on the process runtime:
// editing a layer's folder moves $LATEST of the function that lists it to
// the new content with a RELOAD report, while a published version keeps
// the layer version it pinned; a layer added to emulator.yaml while up
// runs is defined and usable at once.
func TestLayerFolderEditReloadsLatest(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "emulator.yaml")
	writeFile(t, filepath.Join(dir, "fn", "index.py"), layerUser)
	writeFile(t, filepath.Join(dir, "layers", "common", "shared.py"), "VALUE = 'one'\n")
	writeFile(t, cfg, layerReloadConfig)
	ev := &layerEvents{}
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{
		ConfigPath: cfg, Runtime: "process", GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: filepath.Join(dir, "state"), Seed: 7, IdleTimeout: time.Minute, MaxInstances: 8, Events: ev,
	})
	if err != nil {
		cancel()
		t.Fatalf("NewApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	c := sdkClient(t, app)
	if got := invokeJSON(t, c, "", "L", ""); got["shared"] != "one" {
		t.Fatalf("$LATEST before the edit imported %v, want one", got)
	}
	pv := scf.NewPublishVersionRequest()
	pv.FunctionName = common.StringPtr("L")
	if _, err := c.PublishVersion(pv); err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}

	writeFile(t, filepath.Join(dir, "layers", "common", "shared.py"), "VALUE = 'two'\n")
	eventually(t, 30*time.Second, "$LATEST running the edited layer", func() bool {
		return invokeJSON(t, c, "", "L", "")["shared"] == "two"
	})
	if got := invokeJSON(t, c, "", "L", "1"); got["shared"] != "one" {
		t.Errorf("version 1 imported %v after the edit, want its pinned one", got)
	}
	// The report follows the registry's change, which the request above
	// may have seen first.
	eventually(t, 30*time.Second, "a layer reload report", func() bool { return len(ev.layerReports()) > 0 })
	reps := ev.layerReports()
	if r := reps[len(reps)-1]; r.Err != nil || r.Layer != "common" || strings.Join(r.Functions, ",") != "L" || r.Previous == r.Latest {
		t.Errorf("report %+v, want layer common reloaded for L with a new hash", r)
	}

	t.Run("a layer added to the config while up runs", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "layers", "extra", "shared.py"), "VALUE = 'extra'\n")
		edited := strings.Replace(layerReloadConfig, "layers:\n", "layers:\n  extra: {source: ./layers/extra}\n", 1)
		edited = strings.Replace(edited, "layers: [common]", "layers: [extra, common]", 1)
		n := ev.count()
		save(t, cfg, edited)
		eventually(t, 30*time.Second, "$LATEST importing from the added layer", func() bool {
			return invokeJSON(t, c, "", "L", "")["shared"] == "extra"
		})
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil || strings.Join(r.Changes.LayersAdded, ",") != "extra" {
			t.Errorf("config report %+v, want layer extra added", r)
		}
		writeFile(t, filepath.Join(dir, "layers", "extra", "shared.py"), "VALUE = 'extra two'\n")
		eventually(t, 30*time.Second, "$LATEST running the edited added layer", func() bool {
			return invokeJSON(t, c, "", "L", "")["shared"] == "extra two"
		})
	})
}
