package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestAdminManySDKClients: a program that makes a new SDK client for each
// call (each keeps its connection open, idle, for 30 s) makes more calls
// than the admin address' connection cap within that time; every call is
// answered, none waits for an idle connection of an earlier client to
// time out (a call's 10 s limit guards against that wait).
func TestAdminManySDKClients(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(cfg, []byte("functions: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(dir, ".emulator"))
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(app.AdminURL(), "http://")
	cpf.HttpProfile.Scheme = "http"
	cpf.HttpProfile.ReqTimeout = 10 // seconds
	// Past the admin address' cap of 256.
	for i := range 300 {
		c, err := scf.NewClient(common.NewCredential("id", "key"), "ap-guangzhou", cpf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListFunctions(scf.NewListFunctionsRequest()); err != nil {
			t.Fatalf("call %d, each with a new client: %v", i+1, err)
		}
	}
}
