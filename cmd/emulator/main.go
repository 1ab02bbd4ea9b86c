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
)

const usage = `emulator: a local Tencent SCF grayscale-release emulator

Server:
  emulator up        [-f emulator.yaml] [--runtime auto|docker|process]
                     [--gateway-addr 127.0.0.1:8080] [--admin-addr 127.0.0.1:9001] [--state-dir DIR]
                     [--seed N] [--idle-timeout 5m] [--max-instances 8] [--log-level warn]
                     [--secret-id ID --secret-key KEY] [--insecure]
                     [--image RUNTIME=IMAGE]... [--pull-images]
  emulator gc        [--dry-run] [--all]   (docker: remove what crashed emulators left; --all: everything)

Client (talks to --endpoint or $EMULATOR_ENDPOINT, default http://127.0.0.1:9001):
  emulator publish   FUNCTION [-d DESCRIPTION]
  emulator versions  FUNCTION
  emulator alias     create|update FUNCTION NAME --version V [--weight V2=0.1]... [--rule 'V4:invoke.headers.User exact Bob']... [-d TEXT]
                     [--sticky HEADER|""] [--shadow V=0.1|""]
  emulator alias     get|delete FUNCTION NAME
  emulator alias     list FUNCTION
  emulator invoke    FUNCTION [-q QUALIFIER] [--event JSON|@file] [--routing-key JSON] [--log]
  emulator logs      FUNCTION [-q QUALIFIER] [-f] [-n 20]
  emulator stats     FUNCTION [--window 1m] [--all]
  emulator deploy    FUNCTION --traffic 0.1
  emulator rollback  FUNCTION ALIAS [--to V]
  emulator rollout   FUNCTION --alias NAME --to V [--steps 10,25,50,100 --interval 30s | --schedule NAME]
                     [--max-error-rate 0.01] [--max-p99 300ms] [--min-requests 50] [--speed 60]
                     [--pre-traffic FN[:Q]] [--post-traffic FN[:Q]] [--detach]
  emulator rollout   FUNCTION --alias NAME --status|--abort
                     schedules: Canary10Percent{5,10,15,30}Minutes, Linear10PercentEvery{1,2,3,10}Minute(s), AllAtOnce
  emulator split-test FUNCTION [--stage release] [--path /hello] [-n 1000] [--header User=Bob]... [--concurrency 16]
                     [--method GET] [--timeout 2m] [--gateway URL] [--users N]
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 ok, 1 the
// command failed, 2 bad usage or config.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "up":
		err = cmdUp(ctx, rest, stdout, stderr)
	case "publish", "versions", "alias", "invoke", "deploy", "rollback":
		err = runClient(ctx, cmd, rest, stdout)
	case "logs":
		err = cmdLogs(ctx, rest, stdout)
	case "stats":
		err = cmdStats(ctx, rest, stdout)
	case "rollout":
		err = cmdRollout(ctx, rest, stdout, stderr)
	case "split-test":
		err = cmdSplitTest(ctx, rest, stdout, stderr)
	case "gc":
		err = cmdGC(ctx, rest, stdout)
	default:
		err = usageError{fmt.Errorf("unknown command %q; run emulator --help", cmd)}
	}
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

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func cmdUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	cfg := AppConfig{}
	fs.StringVar(&cfg.ConfigPath, "f", "emulator.yaml", "config file")
	fs.StringVar(&cfg.Runtime, "runtime", "auto", "auto, docker or process")
	fs.StringVar(&cfg.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "gateway listen address")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", "127.0.0.1:9001", "management API listen address")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory (default .emulator beside the config)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for weighted routing (0 = random)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 5*time.Minute, "stop instances idle this long")
	fs.IntVar(&cfg.MaxInstances, "max-instances", 8, "instances per version at most")
	fs.StringVar(&cfg.SecretID, "secret-id", os.Getenv("TENCENTCLOUD_SECRET_ID"), "verify cloud API signatures with this SecretId (default $TENCENTCLOUD_SECRET_ID)")
	fs.StringVar(&cfg.SecretKey, "secret-key", os.Getenv("TENCENTCLOUD_SECRET_KEY"), "and this SecretKey (default $TENCENTCLOUD_SECRET_KEY)")
	images := multiFlag{}
	fs.Var(&images, "image", "docker runtime image for a runtime, RUNTIME=IMAGE, e.g. Python3.9=python:3.9-slim (repeatable)")
	fs.BoolVar(&cfg.PullImages, "pull-images", false, "docker runtime: pull missing images instead of failing")
	fs.BoolVar(&cfg.Insecure, "insecure", false, "allow a non-loopback admin address without credentials")
	level := fs.String("log-level", "warn", "debug, info, warn or error (library logs on stderr)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("up takes no arguments, got %q", strings.Join(pos, " "))}
	}
	cfg.Images = images
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", *level)}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	con := &console{out: stdout}
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
	con.banner(app, app.runtimeDesc)
	err = app.Run(ctx)
	con.printf("\n%s\n", color.New(color.Faint).Sprint("stopped: every instance is gone, state is saved"))
	return err
}
