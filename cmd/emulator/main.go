// Command emulator runs a local Tencent SCF grayscale-release emulator (`up`)
// and drives it through its Tencent Cloud API (every other command).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/reqlog"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 ok, 1 the
// command failed, 2 bad usage or config.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s %v\n", color.New(color.FgRed, color.Bold).Sprint("error:"), err)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, config.ErrInvalid) {
		return 2
	}
	return 1
}

// dispatch reads the global flags before the command name, then runs the
// command from the commands table. Global flags given before the name are
// handed to the command ahead of its own arguments, so one given after the
// name wins, and the command's own flags decide, in one place (parse),
// whether it takes them at all: --endpoint works before or after the name
// of every command whose flags have it.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var globals []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		arg := args[0]
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "h", "help":
			printOverview(stdout)
			return nil
		case "version":
			fmt.Fprint(stdout, versionText())
			return nil
		case "endpoint":
			if !hasValue {
				if len(args) < 2 {
					return usageError{errors.New("--endpoint needs a URL, e.g. --endpoint http://127.0.0.1:9001")}
				}
				value, args = args[1], args[1:]
			}
			globals = append(globals, "--endpoint="+value)
		default:
			return usageError{fmt.Errorf("unknown flag %s before the command; the global flags are --endpoint URL, --version and --help", arg)}
		}
		args = args[1:]
	}
	if len(args) == 0 {
		printOverview(stdout)
		return nil
	}
	c, ok := lookupCommand(args[0])
	if !ok {
		return usageError{fmt.Errorf("unknown command %q; run emulator help", args[0])}
	}
	runCmd := c.run
	if runCmd == nil {
		runCmd = cmdHelp
	}
	if c.run == nil || asksHelp(args[1:]) {
		globals = nil // help is help, whoever it would have talked to
	}
	err := runCmd(ctx, append(globals, args[1:]...), stdout, stderr)
	var hr helpRequest
	if errors.As(err, &hr) {
		printCommandHelp(stdout, c, hr.fs)
		return nil
	}
	return err
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func cmdUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	cfg := AppConfig{}
	fs.StringVar(&cfg.ConfigPath, "f", defaultConfigFile, "config file; when the default is missing, an empty emulator starts")
	fs.StringVar(&cfg.Runtime, "runtime", "auto", "auto, docker or process")
	fs.StringVar(&cfg.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "gateway listen address")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", "127.0.0.1:9001", "management API listen address")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory (default .emulator beside the config, or here without one)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for weighted routing (0 = random)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 5*time.Minute, "stop instances idle this long")
	fs.IntVar(&cfg.MaxInstances, "max-instances", 8, "instances per version at most")
	fs.StringVar(&cfg.SecretID, "secret-id", os.Getenv("TENCENTCLOUD_SECRET_ID"), "verify cloud API signatures with this SecretId (default $TENCENTCLOUD_SECRET_ID)")
	fs.StringVar(&cfg.SecretKey, "secret-key", os.Getenv("TENCENTCLOUD_SECRET_KEY"), "and this SecretKey (default $TENCENTCLOUD_SECRET_KEY)")
	images := multiFlag{}
	fs.Var(&images, "image", "docker runtime image for a runtime, RUNTIME=IMAGE, e.g. Python3.9=python:3.9-slim (repeatable)")
	fs.StringVar(&cfg.Pull, "pull", "missing", "docker runtime: pull images always, missing (not present locally) or never")
	fs.BoolFunc("pull-images", "deprecated: --pull=missing, the default", func(string) error {
		cfg.Pull = "missing"
		fmt.Fprintln(stderr, "warning: --pull-images is deprecated: missing images are pulled by default (--pull=missing)")
		return nil
	})
	fs.BoolVar(&cfg.Insecure, "insecure", false, "allow a non-loopback admin address without credentials")
	adminHosts, gatewayHosts, diffRedact := multiFlag{}, multiFlag{}, multiFlag{}
	fs.Var(&diffRedact, "diff-redact", "a header whose values are masked in stored diff examples, besides Authorization and Cookie (repeatable)")
	fs.IntVar(&cfg.RecordRequests, "record-requests", reqlog.DefaultPerFunction, "gateway requests kept per function for emulator logs --requests (0: none)")
	fs.StringVar(&cfg.AccessLog, "access-log", "", "append every gateway request routed to a function to this file, as JSON lines emulator replay reads")
	fs.Var(&adminHosts, "admin-host", "a further Host name the admin address answers to, besides localhost and loopback (repeatable)")
	fs.Var(&gatewayHosts, "gateway-host", "a further Host name the gateway answers to, besides IP addresses, localhost and *.localhost; * for any (repeatable)")
	fs.BoolVar(&cfg.MetricsPublic, "metrics-public", false, "with credentials, leave GET /metrics open for Prometheus")
	debugs := multiFlag{}
	fs.Var(&debugs, "debug", "run FUNCTION[:VERSION] under its debugger on PORT: FUNCTION=PORT, e.g. B=5678 or B:2=5679 (repeatable)")
	level := fs.String("log-level", "warn", "debug, info, warn or error (library logs on stderr)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("up takes no arguments, got %q", strings.Join(pos, " "))}
	}
	cfg.Images, cfg.AdminHosts, cfg.GatewayHosts, cfg.DiffRedact = images, adminHosts, gatewayHosts, diffRedact
	if cfg.Debug, err = parseDebugFlags(debugs); err != nil {
		return err
	}
	if err := checkUpFlags(cfg); err != nil {
		return err
	}
	start, err := chooseStart(cfg.ConfigPath, flagGiven(fs, "f"))
	if err != nil {
		return err
	}
	cfg.ConfigPath = start.path
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", *level)}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	tuneGC(os.Getenv)
	con := &console{out: stdout, live: isTerminal(stdout), debug: dashDebug(cfg.Debug)}
	cfg.Events = con

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C, a second one kills at once (default handling).
		<-ctx.Done()
		stop()
	}()
	con.printf("%s\n", color.New(color.Faint).Sprint("starting: loading config, restoring state, snapshotting sources..."))
	app, err := NewApp(ctx, cfg)
	if err != nil {
		return err
	}
	con.hostNote = hostVersionNote(ctx, app.reg.Functions(), func(f registry.Function) bool {
		return strings.HasPrefix(app.runtimeDesc, "process") || app.imageNote(f.Name) != ""
	})
	con.banner(app, app.runtimeDesc)
	err = app.Run(ctx)
	con.printf("\n%s\n", color.New(color.Faint).Sprint("stopped: every instance is gone, state is saved"))
	return err
}

// asksHelp reports whether a command's arguments ask for its help.
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
