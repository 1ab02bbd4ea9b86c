package main

import (
	"context"
	"io"
)

// command is one subcommand. The dispatcher, `emulator help`, and
// `emulator CMD --help` all read the same entry, so a new command is one
// entry in commands: its flags come from the command's own flag.FlagSet
// (see parse), so they are never listed twice.
type command struct {
	name     string
	args     string // what follows the name in the synopsis, e.g. "FUNCTION [-d DESCRIPTION]"
	summary  string // one line for the overview
	group    string // groupServer, groupClient
	examples []string
	// run executes the command. It must call parse(fs, args) before doing
	// anything else, so that --help prints usage instead of running it.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// Command groups, in the order the overview lists them.
const (
	groupServer = "Project and server"
	groupClient = "Client (talks to --endpoint, $EMULATOR_ENDPOINT or http://127.0.0.1:9001)"
)

var groups = []string{groupServer, groupClient}

// commands is every subcommand, in the order the overview lists them.
var commands = []command{
	{name: "up", args: "[-f emulator.yaml] [flags]", group: groupServer,
		summary: "start the emulator: gateway, management API, hot reload",
		examples: []string{
			"emulator up",
			"emulator up -f other.yaml --runtime process",
			"emulator up --gateway-addr 127.0.0.1:8081 --admin-addr 127.0.0.1:9002 --state-dir /tmp/emu",
		},
		run: cmdUp},
	{name: "init", args: "[DIR] [--runtime Python3.9|Nodejs18.15|Go1|CustomRuntime] [--type event|http]", group: groupServer,
		summary: "write a runnable emulator.yaml and a sample function",
		examples: []string{
			"emulator init",
			"emulator init hello --runtime Nodejs18.15 --type http",
		},
		run: cmdInit},
	{name: "import", args: "[serverless.yml|FOLDER] [-o emulator.yaml] [--force]", group: groupServer,
		summary: "write the emulator.yaml equivalent of a Serverless Framework project, naming what it ignored",
		examples: []string{
			"emulator import serverless.yml",
			"emulator import . -o emulator.yaml --force",
			"emulator import serverless.yml -o -",
		},
		run: cmdImport},
	{name: "images", args: "[-f emulator.yaml] [--build [--force] [--only debian|static]]", group: groupServer,
		summary: "list the docker images the config needs and their state; --build builds the local stand-ins",
		examples: []string{
			"emulator images",
			"emulator images --build",
		},
		run: cmdImages},
	{name: "gc", args: "[--dry-run] [--all] | --parked [--dry-run] [--endpoint URL] [FUNCTION...]", group: groupServer,
		summary: "docker: list managed containers and volumes with their owner; remove what crashed emulators left (--all: everything); --parked: delete functions removed from the config (while up runs, through it)",
		examples: []string{
			"emulator gc --dry-run",
			"emulator gc",
			"emulator gc --all",
			"emulator gc --parked --dry-run",
			"emulator gc --parked hello",
			"emulator gc --parked --state-dir /tmp/emu --endpoint http://127.0.0.1:9002",
		},
		run: cmdGC},
	{name: "publish", args: "FUNCTION [-d DESCRIPTION]", group: groupClient,
		summary:  "publish $LATEST as the next numbered version; prints the number",
		examples: []string{`emulator publish B -d "fix greeting"`}, run: clientRunner("publish")},
	{name: "versions", args: "FUNCTION", group: groupClient,
		summary:  "list a function's published versions",
		examples: []string{"emulator versions B", "emulator --endpoint http://127.0.0.1:9002 versions B"}, run: clientRunner("versions")},
	{name: "alias", args: "create|update|get|delete|list FUNCTION [NAME] [flags]", group: groupClient,
		summary: "manage aliases: weighted and header-rule routing, sticky users, shadow copies",
		examples: []string{
			"emulator alias create B canary --version 1 --weight 2=0.1",
			"emulator alias update B release --version 1 --rule 'V2:invoke.headers.User exact Bob'",
			"emulator alias update B release --version 1 --weight 2=0.3 --sticky User --shadow 3=0.05",
			"emulator alias list B",
		},
		run: clientRunner("alias")},
	{name: "invoke", args: "FUNCTION [-q QUALIFIER] [--event JSON|@file] [--routing-key JSON] [--log]", group: groupClient,
		summary: "invoke a function through the cloud API and print its result",
		examples: []string{
			`emulator invoke B --event '{"path":"/hello"}'`,
			`emulator invoke B -q release --routing-key '{"User":"Bob"}' --log`,
			"emulator invoke B --event @event.json",
		},
		run: clientRunner("invoke")},
	{name: "logs", args: "FUNCTION [-q QUALIFIER] [-f] [-n 20]", group: groupClient,
		summary:  "print a function's invocation logs, or with --requests its recorded gateway requests; -f follows",
		examples: []string{"emulator logs B -n 5", "emulator logs B -q 2 -f", "emulator logs B --requests --since 10m > requests.jsonl"},
		run: func(ctx context.Context, args []string, stdout, _ io.Writer) error {
			return cmdLogs(ctx, args, stdout)
		}},
	{name: "stats", args: "FUNCTION [--window 1m] [--all]", group: groupClient,
		summary:  "each version's share of traffic, errors and latency",
		examples: []string{"emulator stats B", "emulator stats B --window 5m --all"},
		run: func(ctx context.Context, args []string, stdout, _ io.Writer) error {
			return cmdStats(ctx, args, stdout)
		}},
	{name: "deploy", args: "FUNCTION --traffic 0.1", group: groupClient,
		summary:  "$DEFAULT -> $LATEST at the given share, the last published version gets the rest",
		examples: []string{"emulator deploy B --traffic 0.1"}, run: clientRunner("deploy")},
	{name: "rollback", args: "FUNCTION ALIAS [--to V]", group: groupClient,
		summary:  "send all of an alias's traffic to its primary version, or to --to",
		examples: []string{"emulator rollback B release", "emulator rollback B release --to 1"}, run: clientRunner("rollback")},
	{name: "rollout", args: "FUNCTION --alias NAME --to V [--steps ... --interval D | --schedule NAME] [gates] | --status | --abort",
		group:   groupClient,
		summary: "move an alias to a new version step by step, with health gates and rollback",
		examples: []string{
			"emulator rollout B --alias release --to 2 --steps 10,50,100 --interval 30s --max-error-rate 0.01",
			"emulator rollout B --alias release --to 2 --schedule Canary10Percent5Minutes --speed 60",
			"emulator rollout B --alias release --status",
		},
		run: cmdRollout},
	{name: "diff", args: "FUNCTION [--alias NAME] [--since 10m] [--max-diff-rate 0.01]", group: groupClient,
		summary: "differences between an alias's primary and its shadow version on the same requests (diff mode)",
		examples: []string{
			"emulator alias update B release --version 1 --shadow 2=1.0 --diff",
			"emulator diff B --alias release --since 10m --max-diff-rate 0.01",
		},
		run: func(ctx context.Context, args []string, stdout, _ io.Writer) error {
			return cmdDiff(ctx, args, stdout)
		}},
	{name: "replay", args: "FILE --stage release [--to-version 2 --compare-version 1] [--max-diff-rate R]", group: groupClient,
		summary:  "send recorded requests (JSON lines of method, path, headers, body) to two versions and print the diff",
		examples: []string{"emulator replay requests.jsonl --stage release --to-version 2 --compare-version 1"},
		run: func(ctx context.Context, args []string, stdout, _ io.Writer) error {
			return cmdReplay(ctx, args, stdout)
		}},
	{name: "split-test", args: "FUNCTION [--stage release] [--path /hello] [-n 1000] [--header K=V]...", group: groupClient,
		summary: "send requests through the gateway and check the observed split against the alias",
		examples: []string{
			"emulator split-test B --stage release -n 2000",
			"emulator split-test B --header User=Bob -n 50",
		},
		run: cmdSplitTest},
	{name: "debug", args: "config FUNCTION [--editor vscode|goland] [--version V]", group: groupClient,
		summary:  "print the launch configuration that attaches an editor to a function run with up --debug",
		examples: []string{"emulator debug config B", "emulator debug config B --editor goland"},
		run:      cmdDebug},
	{name: "namespace", args: "create NAME [-d DESCRIPTION] | list | delete NAME", group: groupClient,
		summary: "manage namespaces; the commands that name a function take --namespace NS (default: default)",
		examples: []string{
			"emulator namespace create staging -d 'pre-release copies'",
			"emulator namespace list",
			"emulator invoke B --namespace staging",
			"emulator namespace delete staging",
		},
		run: cmdNamespace},
	{name: "help", args: "[COMMAND]", group: groupServer,
		summary:  "show the commands, or one command's usage, flags and examples",
		examples: []string{"emulator help", "emulator help alias", "emulator alias --help"},
		run:      nil}, // run by the dispatcher (cmdHelp reads this table)
	{name: "version", args: "", group: groupServer,
		summary:  "print the version, commit and Go version (also --version)",
		examples: []string{"emulator --version"},
		run:      cmdVersion},
	{name: "event", args: "apigw|timer|cos|ckafka|cmq|clb [--bucket B] [--key K] [--topic T] [--body S] [--method M] [--path P]", group: groupClient,
		summary: "print an event of the platform's shape, for invoke --event @-",
		examples: []string{
			"emulator event cos --bucket photos-1250000000 --key in/cat.jpg | emulator invoke B --event @-",
			"emulator event apigw --method POST --path /hello --body '{\"n\":1}'",
		},
		run: cmdEvent},
	{name: "trigger", args: "fire FUNCTION TRIGGER", group: groupClient,
		summary:  "fire a timer or COS trigger now, through its qualifier",
		examples: []string{"emulator trigger fire B tick"},
		run:      cmdTrigger},
	{name: "send", args: "ckafka|cmq TOPIC MESSAGE... [--key K]", group: groupClient,
		summary:  "publish messages to the functions whose ckafka or cmq triggers subscribe to TOPIC",
		examples: []string{"emulator send ckafka orders '{\"id\":1}' '{\"id\":2}'"},
		run:      cmdSend},
}

// clientRunner runs one of the SDK-backed client commands of runClient.
func clientRunner(name string) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		return runClient(ctx, name, args, stdout)
	}
}

// lookupCommand finds a command by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}
