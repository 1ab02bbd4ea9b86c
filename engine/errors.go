package engine

import (
	"errors"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
)

// classify gives registry lookup failures their platform status while keeping
// the registry sentinel in the chain, so both the gateway (which reads the
// status) and the cloud API (which reads the sentinel) can map them.
func classify(err error) error {
	switch {
	case errors.Is(err, registry.ErrFunctionNotFound):
		return scferr.New(scferr.ErrFunctionNotFound, err.Error(), err)
	case errors.Is(err, registry.ErrAliasNotFound), errors.Is(err, registry.ErrVersionNotFound),
		errors.Is(err, registry.ErrInvalidQualifier):
		return scferr.New(scferr.ErrQualifierNotFound, err.Error(), err)
	}
	return err
}
