package replay

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/scf-emulator/emulator/gateway"
)

// ErrNoVersion is returned by Replay when a Request leaves a version out
// and the stage's alias does not name it.
var ErrNoVersion = errors.New("no version to replay on")

// noVersion is an ErrNoVersion whose message tells which flag to give.
type noVersion struct{ msg string }

func (e noVersion) Error() string { return e.msg }
func (e noVersion) Unwrap() error { return ErrNoVersion }

// role is which side of the comparison a replayed copy is.
type role int

const (
	rolePrimary   role = iota // the compare version
	roleCandidate             // the new version
)

// pinKey carries a replayed request's *pin in its context.
type pinKey struct{}

// pin is one replayed copy's choice: the version to run, filled in by
// pinned.Resolve from the Request and the alias, with where it ran.
type pin struct {
	role                role
	req                 *Request
	function, qualifier string
	version             string
	err                 error // why no version could be pinned
}

// pinned is the gateway Backend of a replay: the Backend with routing
// replaced, so that every request runs on the version its pin names.
type pinned struct {
	Backend
	aliases Aliases
}

var _ gateway.Backend = pinned{}

// Resolve pins the version. Its error is also kept in the pin: the gateway
// answers it as a routing failure, but a replay must stop, not compare.
func (p pinned) Resolve(ctx context.Context, fn, q string, _ http.Header) (gateway.Target, error) {
	pn, _ := ctx.Value(pinKey{}).(*pin)
	if pn == nil {
		return gateway.Target{}, errors.New("replay: request without a version")
	}
	pn.function, pn.qualifier = fn, q
	v, err := p.version(pn, fn, q)
	if err != nil {
		pn.err = err
		return gateway.Target{}, err
	}
	pn.version = v
	t, err := p.Direct(fn, q, v)
	if err != nil {
		pn.err = err
		return gateway.Target{}, err
	}
	return t, nil
}

// version is the version pn's role runs on: the Request's, else the
// alias's primary (compare) or shadow (candidate) version.
func (p pinned) version(pn *pin, fn, q string) (string, error) {
	v := pn.req.CompareVersion
	if pn.role == roleCandidate {
		v = pn.req.ToVersion
	}
	if v != "" {
		return v, nil
	}
	al, err := p.aliases.Alias(fn, q)
	switch {
	case err != nil:
		return "", noVersion{fmt.Sprintf("stage %s routes %s to %s, which is no alias: give --to-version and --compare-version", pn.req.Stage, fn, q)}
	case pn.role == rolePrimary:
		return al.FunctionVersion, nil
	case al.Shadow != nil:
		return al.Shadow.Version, nil
	}
	return "", noVersion{fmt.Sprintf("alias %s of %s has no shadow version: give --to-version", q, fn)}
}
