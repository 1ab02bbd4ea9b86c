package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error Parse and Load return for a config
// that was read but is not acceptable, so callers can tell a bad file from a
// missing one with errors.Is.
var ErrInvalid = errors.New("invalid config")

// Problem is one thing wrong with a config file. Its message has the form
// "emulator.yaml:12:17: functions.B.memorySize: 100 is not 64 or a multiple of 128 up to 3072".
type Problem struct {
	File   string // the path as given to Parse or Load
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Key    string // dotted key path such as services.A.apis[1].method; "" for the whole file
	Msg    string
}

// Is makes a problem match ErrInvalid: a caller that finds one (a check
// made after Parse, such as an alias's version in the state) reports it as
// a bad config.
func (p *Problem) Is(target error) bool { return target == ErrInvalid }

// Error formats the problem as file:line:column: key: message, leaving out
// the parts that are unknown.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// invalidError carries every problem found in one file. Its text is the
// problems' texts, one per line, as errors.Join prints them; it matches
// ErrInvalid, and errors.As finds each *Problem through Unwrap.
type invalidError struct {
	problems []*Problem
	joined   error
}

func newInvalidError(problems []*Problem) error {
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return &invalidError{problems: problems, joined: errors.Join(errs...)}
}

func (e *invalidError) Error() string { return e.joined.Error() }

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func (e *invalidError) Unwrap() []error {
	errs := make([]error, len(e.problems))
	for i, p := range e.problems {
		errs[i] = p
	}
	return errs
}

// Problems returns the problems inside an error from Parse or Load, sorted
// by line, or nil when err does not come from an invalid config.
func Problems(err error) []*Problem {
	var ie *invalidError
	if !errors.As(err, &ie) {
		return nil
	}
	return append([]*Problem(nil), ie.problems...)
}
