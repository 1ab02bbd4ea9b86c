package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/registry"
)

// gcParkedLive is gc --parked on a state folder an emulator holds: the
// running emulator lists and deletes its parked functions itself (GET
// /emulator/parked, POST /emulator/parked/delete), so its routes, watcher,
// capacity settings and rollouts follow at once. The emulator is found as
// every client command finds it (--endpoint, $EMULATOR_ENDPOINT, the
// default) and must answer for this very folder: another emulator's parked
// functions are not this command's to delete.
func gcParkedLive(ctx context.Context, out io.Writer, dir string, names []string, dry bool, endpoint string) error {
	c, err := newEmuClient(endpoint)
	if err != nil {
		return err
	}
	info, err := c.info(ctx)
	if err != nil {
		return fmt.Errorf("gc --parked: %s is in use by a running emulator, and asking it failed: %w", dir, err)
	}
	if !sameDir(info.StateDir, dir) {
		return fmt.Errorf("gc --parked: %s is in use by a running emulator, but the one at %s runs on %s: "+
			"give the admin address of the emulator on %s with --endpoint", dir, c.base, info.StateDir, dir)
	}
	var parked []registry.Parked
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/parked", nil, nil, &parked); err != nil {
		return fmt.Errorf("gc --parked: the emulator at %s: %w", c.base, err)
	}
	chosen, err := planGCParked(out, parked, names, dir, dry)
	if err != nil || len(chosen) == 0 {
		return err
	}
	return deleteParked(out, chosen, func(name string) error {
		var ans admin.DeleteParkedAnswer
		return c.doJSON(ctx, http.MethodPost, "/emulator/parked/delete", nil, admin.DeleteParkedRequest{Function: name}, &ans)
	})
}

// sameDir reports whether two paths name one folder, links resolved.
func sameDir(a, b string) bool {
	clean := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return filepath.Clean(p)
	}
	return clean(a) == clean(b)
}
