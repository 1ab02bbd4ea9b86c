package reconcile

import (
	"errors"
	"fmt"
	"testing"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// versionsOf is a VersionLister: a function with versions 1-2 and no aliases.
type versionsOf struct{}

func (versionsOf) Versions(string) ([]registry.Version, error) {
	return []registry.Version{{Version: "1"}, {Version: "2"}}, nil
}
func (versionsOf) Aliases(string, string) ([]registry.Alias, error) { return nil, nil }

// TestDefineError: a refused definition is said once, with the file's
// line; an alias to a missing version is the file's problem at the alias,
// naming the versions there are, when the registry can list them.
func TestDefineError(t *testing.T) {
	f := config.Function{Name: "B", Line: 3, Aliases: []config.Alias{{Name: "live", Version: "7", Line: 6}}}
	notFound := fmt.Errorf("function B: alias live: %w", registry.ErrVersionNotFound)
	tests := []struct {
		name    string
		reg     any
		err     error
		want    string
		problem bool
	}{
		{"alias to a missing version", versionsOf{}, notFound,
			"emulator.yaml:6: functions.B.aliases.live: version 7 does not exist: function B has versions 1-2 and $LATEST; publish it first (emulator publish B) or point the alias at an existing version", true},
		{"the same, registry without listing", struct{}{}, notFound,
			"emulator.yaml:3: functions.B.aliases: alias live: version not found", true},
		{"other errors said once", versionsOf{}, errors.New("function B: build failed: exit 1"),
			"emulator.yaml:3: function B: build failed: exit 1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DefineError(tc.reg, "emulator.yaml", f, tc.err)
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err, tc.want)
			}
			var p *config.Problem
			if errors.As(err, &p) != tc.problem {
				t.Errorf("a config problem: %v, want %v", !tc.problem, tc.problem)
			}
		})
	}
}
