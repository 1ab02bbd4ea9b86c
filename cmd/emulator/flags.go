package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// multiFlag collects a repeatable string flag (--weight 2=0.1 --weight 3=0.2).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parse parses fs from args allowing flags after positional arguments
// (`emulator publish B -d text`), which the flag package alone does not.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w", fs.Name(), err)
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
