package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/scf-emulator/emulator/admin"
)

// cmdDebug: emulator debug config FUNCTION [--version V] [--editor vscode|goland]
func cmdDebug(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("debug", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	editor := fs.String("editor", "vscode", "vscode (launch.json) or goland (steps)")
	version := fs.String("version", "", "the debugged version, when more than one of the function is")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) != 2 || pos[0] != "config" {
		return usageError{errors.New("usage: emulator debug config FUNCTION [--editor vscode|goland]")}
	}
	if *editor != "vscode" && *editor != "goland" {
		return usageError{fmt.Errorf("--editor %q: want vscode or goland", *editor)}
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	var out struct {
		Sessions []admin.DebugSession `json:"sessions"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/debug", url.Values{"function": {pos[1]}}, nil, &out); err != nil {
		return err
	}
	var s *admin.DebugSession
	for i := range out.Sessions {
		if *version == "" || out.Sessions[i].Version == *version {
			s = &out.Sessions[i]
			break
		}
	}
	if s == nil {
		return fmt.Errorf("function %s version %s is not being debugged", pos[1], *version)
	}
	if *editor == "goland" {
		_, err := io.WriteString(stdout, golandSteps(*s))
		return err
	}
	return printJSON(stdout, vscodeLaunch(*s))
}

// vscodeLaunch is a .vscode/launch.json that attaches to s. Breakpoints set
// in the source folder bind because the mapping sends its paths to the ones
// the running code has.
func vscodeLaunch(s admin.DebugSession) map[string]any {
	name := fmt.Sprintf("Attach %s %s (emulator)", s.Function, s.Version)
	var cfg map[string]any
	switch s.Debugger {
	case "debugpy":
		cfg = map[string]any{"name": name, "type": "debugpy", "request": "attach",
			"connect":      map[string]any{"host": s.Host, "port": s.Port},
			"pathMappings": []map[string]string{{"localRoot": s.Source, "remoteRoot": s.CodeRoot}},
			"justMyCode":   true}
	case "inspector":
		cfg = map[string]any{"name": name, "type": "node", "request": "attach",
			"address": s.Host, "port": s.Port, "localRoot": s.Source, "remoteRoot": s.CodeRoot,
			"restart": true, "skipFiles": []string{"<node_internals>/**"}}
	case "delve":
		// The binary was built from the source folder, so its debug
		// information names the user's own files: no mapping is needed.
		cfg = map[string]any{"name": name, "type": "go", "request": "attach", "mode": "remote",
			"host": s.Host, "port": s.Port}
	default:
		cfg = map[string]any{"name": name, "request": "attach",
			"connect":      map[string]any{"host": s.Host, "port": s.Port},
			"pathMappings": []map[string]string{{"localRoot": s.Source, "remoteRoot": s.CodeRoot}},
			"comment":      "custom runtime: start your debugger on $SCF_DEBUG_PORT and pick the matching type"}
	}
	return map[string]any{"version": "0.2.0", "configurations": []any{cfg}}
}

// golandSteps is how to attach from GoLand (or another JetBrains IDE).
func golandSteps(s admin.DebugSession) string {
	head := fmt.Sprintf("%s %s (%s) listens on %s:%d\n", s.Function, s.Version, s.Debugger, s.Host, s.Port)
	switch s.Debugger {
	case "delve":
		return head + fmt.Sprintf("Run > Edit Configurations > + > Go Remote: Host %s, Port %d, then Debug.\n"+
			"The binary was built from %s, so breakpoints there bind as they are.\n", s.Host, s.Port, s.Source)
	case "inspector":
		return head + fmt.Sprintf("Run > Edit Configurations > + > Attach to Node.js/Chrome: Host %s, Port %d;\n"+
			"Remote URLs of local files: %s -> %s\n", s.Host, s.Port, s.Source, s.CodeRoot)
	case "debugpy":
		b, _ := json.MarshalIndent(vscodeLaunch(s), "", "  ")
		return head + "JetBrains IDEs do not attach to debugpy; use VS Code (or any DAP client) with:\n" + string(b) + "\n"
	}
	return head + fmt.Sprintf("Custom runtime: your debugger listens on $SCF_DEBUG_PORT (%d); map %s -> %s.\n", s.Port, s.Source, s.CodeRoot)
}
