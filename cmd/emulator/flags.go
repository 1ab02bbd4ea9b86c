package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// multiFlag collects a repeatable string flag (--weight 2=0.1 --weight 3=0.2).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parse parses fs from args allowing flags after positional arguments
// (`emulator publish B -d text`), which the flag package alone does not.
// -h or --help gives a helpRequest; every command calls parse before doing
// anything, so that help never runs it.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequest{fs}
			}
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// needArgs checks the count of positional arguments.
func needArgs(cmd string, got []string, min, max int, usage string) error {
	if len(got) < min || (max >= 0 && len(got) > max) {
		return fmt.Errorf("usage: emulator %s %s", cmd, usage)
	}
	return nil
}

var (
	// flagInvalidRE matches the flag package's message for a value its
	// parser refused, for both value and boolean flags.
	flagInvalidRE = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-(\S+): (.*)$`)
	// flagNameRE finds flag names in the flag package's other messages.
	flagNameRE = regexp.MustCompile(`(^|\s)-([A-Za-z][\w-]+)`)
)

// flagError rewrites the flag package's errors in the docs' terms:
// `--window "5": want a duration such as 500ms, 30s or 5m` instead of
// `invalid value "5" for flag -window: parse error`.
func flagError(fs *flag.FlagSet, err error) error {
	if strings.HasSuffix(err.Error(), "flag provided but not defined: -endpoint") {
		// The global flag, before or after the name of a command that
		// talks to no emulator.
		return fmt.Errorf("--endpoint is for the commands that talk to an emulator; %s takes none", fs.Name())
	}
	m := flagInvalidRE.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s: %s", fs.Name(), flagNameRE.ReplaceAllString(err.Error(), "$1--$2"))
	}
	value, name, why := m[1], m[2], m[3]
	f := fs.Lookup(name)
	if f == nil {
		return fmt.Errorf("%s: %s", fs.Name(), flagNameRE.ReplaceAllString(err.Error(), "$1--$2"))
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			why = "want a duration such as 500ms, 30s or 5m"
		case int, int64, uint, uint64:
			why = "want a whole number"
		case float64:
			why = "want a number"
		case bool:
			why = "want true or false"
		}
	}
	return fmt.Errorf("%s %q: %s", flagSynopsisName(f), value, why)
}

// flagSynopsisName is -n for one-letter flags, --name for the others.
func flagSynopsisName(f *flag.Flag) string {
	if len(f.Name) == 1 {
		return "-" + f.Name
	}
	return "--" + f.Name
}
