package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/config"
)

// copyTree copies testdata folder src into a new temporary folder.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestServerlessFolderUp: a bare `up` in a folder of Serverless Framework
// components (a layer and two scf functions referring to it through
// ${output:...}) serves their apigw endpoints; the endpoint without
// isIntegratedResponse passes the returned string through with status 200.
func TestServerlessFolderUp(t *testing.T) {
	dir := copyTree(t, "../../config/testdata/sls/multi")
	start, err := chooseStart(filepath.Join(dir, defaultConfigFile), false)
	if err != nil || start.path != dir {
		t.Fatalf("chooseStart = %+v, %v; want the folder %s", start, err, dir)
	}
	app, _ := startApp(t, start.path, filepath.Join(t.TempDir(), "state"))
	if len(app.file.Warnings) == 0 {
		t.Errorf("no warnings for the folder's cloud-only keys")
	}
	resp, err := http.Get(app.GatewayURL() + "/release/items")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "items for /items" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /release/items = %d %q (%s), want the returned string as it is", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	resp, err = http.Post(app.GatewayURL()+"/release/work/7", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"worker": "7"}` {
		t.Errorf("POST /release/work/7 = %d %q, want the integration response's body", resp.StatusCode, body)
	}
}

// TestServerlessSingleUp: `up -f serverless.yml` serves a dict returned by a
// pass-through API as JSON with status 200, and the integrated endpoint of
// the same function answers with its integration response.
func TestServerlessSingleUp(t *testing.T) {
	dir := copyTree(t, "../../config/testdata/sls/single")
	app, _ := startApp(t, filepath.Join(dir, "serverless.yml"), filepath.Join(t.TempDir(), "state"))
	a := get(t, app.GatewayURL()+"/release/", nil)
	if a.Status != 200 || a.Body["message"] != "hello from scfdemo" || a.Body["path"] != "/" {
		t.Errorf("GET /release/ = %d %s, want the returned dict as JSON", a.Status, a.Raw)
	}
	if a := get(t, app.GatewayURL()+"/release/integrated", nil); a.Status != 201 || a.Body["integrated"] != true {
		t.Errorf("GET /release/integrated = %d %s, want the integration response (201)", a.Status, a.Raw)
	}
}

// TestImportCommand: import writes an emulator.yaml that loads into the
// project's functions and services, and refuses to overwrite without --force.
func TestImportCommand(t *testing.T) {
	dir := copyTree(t, "../../config/testdata/sls/multi")
	var out, errOut bytes.Buffer
	if err := cmdImport(t.Context(), []string{dir}, &out, &errOut); err != nil {
		t.Fatalf("import: %v", err)
	}
	if !strings.Contains(errOut.String(), "someFutureKey: unknown key, ignored") {
		t.Errorf("import warnings lack the unknown key:\n%s", errOut.String())
	}
	written := filepath.Join(dir, defaultConfigFile)
	got, err := config.Load(written)
	if err != nil {
		t.Fatalf("imported emulator.yaml: %v", err)
	}
	want, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ch := config.Diff(want, got); !ch.Empty() {
		t.Errorf("imported config differs: %+v", ch)
	}
	if err := cmdImport(t.Context(), []string{dir}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second import = %v, want a refusal naming --force", err)
	}
}
