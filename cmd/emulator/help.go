package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// helpRequest is what parse returns when the arguments hold -h or --help:
// the dispatcher then prints the command's usage with the flags of fs and
// exits 0, and the command does nothing.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// globalFlags are accepted before the command name; --endpoint also after
// it, by every command whose flags have it.
var globalFlags = []struct{ flag, usage string }{
	{"--endpoint URL", "management API of the emulator the client commands (and gc --parked) talk to (default $EMULATOR_ENDPOINT or http://127.0.0.1:9001)"},
	{"-h, --help", "this overview; emulator COMMAND --help shows a command's flags and examples"},
	{"--version", "version, commit and Go version"},
}

func printOverview(w io.Writer) {
	fmt.Fprintf(w, "emulator: a local Tencent SCF grayscale-release emulator\n\n")
	fmt.Fprintf(w, "Usage: emulator [--endpoint URL] COMMAND [ARGUMENTS] [FLAGS]\n")
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range commands {
			if c.group == g {
				fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
			}
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range globalFlags {
		fmt.Fprintf(tw, "  %s\t%s\n", g.flag, g.usage)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nFirst run: `emulator init` writes a sample project, `emulator up` serves it; `emulator up` in a\n"+
		"folder without emulator.yaml starts empty, ready for CreateFunction through the SDK or tccli.\n"+
		"Run `emulator COMMAND --help` for a command's flags and examples.\n")
}

// printCommandHelp prints one command's synopsis, flags (from fs, which may
// be nil) and examples.
func printCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "emulator %s: %s\n\nUsage:\n  emulator %s %s\n", c.name, c.summary, c.name, c.args)
	if fs != nil {
		var own strings.Builder
		tw := tabwriter.NewWriter(&own, 0, 4, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "endpoint" {
				return // listed with the global flags
			}
			fmt.Fprintf(tw, "  %s\t%s\n", flagSynopsis(f), flagUsage(f))
		})
		_ = tw.Flush()
		if own.Len() > 0 {
			fmt.Fprintf(w, "\nFlags:\n%s", own.String())
		}
	}
	if f := endpointFlag(fs); f != nil {
		usage := globalFlags[0].usage
		if strings.Contains(f.Usage, "(default") {
			usage = f.Usage // the command's own words are complete
		}
		fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n  --endpoint URL  %s\n", usage)
	}
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// endpointFlag is the --endpoint flag of fs, nil when the command takes
// none (or fs is nil).
func endpointFlag(fs *flag.FlagSet) *flag.Flag {
	if fs == nil {
		return nil
	}
	return fs.Lookup("endpoint")
}

// flagSynopsis renders a flag as the docs write it: -n N, --window DURATION.
func flagSynopsis(f *flag.Flag) string {
	arg, _ := flag.UnquoteUsage(f)
	if !strings.Contains(f.Usage, "`") {
		// The flag package names the Go type; say what to type instead.
		arg = map[string]string{"string": "VALUE", "value": "VALUE", "duration": "DURATION",
			"int": "N", "uint": "N", "float": "NUMBER"}[arg]
	}
	s := "--" + f.Name
	if len(f.Name) == 1 {
		s = "-" + f.Name
	}
	if arg != "" {
		s += " " + arg
	}
	return s
}

// flagUsage is the flag's text plus its default, unless the text already
// says what the default is (which also keeps a secret taken from the
// environment out of the help).
func flagUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	switch f.DefValue {
	case "", "false", "0", "0s":
		return usage
	}
	if strings.Contains(usage, "(default") {
		return usage
	}
	return fmt.Sprintf("%s (default %s)", usage, f.DefValue)
}

// cmdHelp prints the overview, or one command's help. A command's flags are
// read by running it with --help, which every command answers from parse
// before doing anything.
func cmdHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("help", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) == 0 {
		printOverview(stdout)
		return nil
	}
	if len(pos) > 1 {
		return usageError{fmt.Errorf("usage: emulator help [COMMAND]")}
	}
	c, ok := lookupCommand(pos[0])
	if !ok {
		return usageError{fmt.Errorf("unknown command %q; run emulator help", pos[0])}
	}
	if c.run == nil {
		printCommandHelp(stdout, c, fs)
		return nil
	}
	var hr helpRequest
	if err := c.run(ctx, []string{"--help"}, io.Discard, stderr); errors.As(err, &hr) {
		printCommandHelp(stdout, c, hr.fs)
		return nil
	}
	printCommandHelp(stdout, c, nil)
	return nil
}

// version is set at link time for releases: -ldflags "-X main.version=v1.2.0".
// Without it the module version (or "(devel)") is shown.
var version = ""

func cmdVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("version takes no arguments")}
	}
	fmt.Fprint(stdout, versionText())
	return nil
}

// buildVersion returns the version, the commit the binary was built from
// (from the VCS stamp `go build` records; "" when there is none) and the Go
// toolchain.
func buildVersion() (v, commit, gover string) {
	v, gover = version, goruntime.Version()
	when, dirty := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		gover = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if commit != "" && when != "" {
		commit += " " + when
	}
	if commit != "" && dirty {
		commit += " (with uncommitted changes)"
	}
	return v, commit, gover
}

func versionText() string {
	v, commit, gover := buildVersion()
	if commit == "" {
		commit = "unknown (built without VCS information, e.g. by go run or go test)"
	}
	return fmt.Sprintf("emulator %s\ncommit   %s\ngo       %s %s/%s\n", v, commit, gover, goruntime.GOOS, goruntime.GOARCH)
}
