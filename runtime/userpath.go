package runtime

import (
	"path/filepath"
	"strings"

	"github.com/scf-emulator/emulator/scferr"
)

// UserCodeRoot is where the platform keeps a function's code. Callers see
// it in every path of the code, never the emulator's directory on the host.
const UserCodeRoot = "/var/user"

// codeRootMapper rewrites the host paths of a code directory (as given, and
// with symbolic links resolved, which is what interpreters report) to
// UserCodeRoot.
type codeRootMapper struct{ r *strings.Replacer }

func newCodeRootMapper(codeDir string) codeRootMapper {
	if codeDir == "" || codeDir == UserCodeRoot {
		return codeRootMapper{}
	}
	pairs := []string{codeDir, UserCodeRoot}
	if real, err := filepath.EvalSymlinks(codeDir); err == nil && real != codeDir {
		pairs = append([]string{real, UserCodeRoot}, pairs...)
	}
	return codeRootMapper{strings.NewReplacer(pairs...)}
}

func (m codeRootMapper) text(s string) string {
	if m.r == nil {
		return s
	}
	return m.r.Replace(s)
}

// err returns err with the code's host paths mapped in what a caller sees
// of it (an scferr's message and stack trace). The cause, which only the
// emulator's own log shows, keeps them.
func (m codeRootMapper) err(err error) error {
	e, ok := err.(*scferr.Error)
	if !ok || m.r == nil {
		return err
	}
	msg, stack := m.text(e.Message), m.text(e.StackTrace)
	if msg == e.Message && stack == e.StackTrace {
		return err
	}
	c := *e
	c.Message, c.StackTrace = msg, stack
	return &c
}
