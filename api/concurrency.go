package api

import (
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

const (
	codeBadInstanceConcurrency = "InvalidParameterValue.InstanceConcurrencyConfig"
	codeBadMaxConcurrency      = "InvalidParameterValue.MaxConcurrency"
)

// instanceConcurrency checks an InstanceConcurrencyConfig for a function of
// type typ and returns its MaxConcurrency; nil returns cur unchanged. Only
// the fixed form is emulated: dynamic concurrency and session routing are
// the platform's scheduler, which the emulator does not have.
func instanceConcurrency(c *scf.InstanceConcurrencyConfig, typ string, cur int) (int, error) {
	if c == nil {
		return cur, nil
	}
	if str(c.DynamicEnabled) == "TRUE" || c.SessionConfig != nil || len(c.MixNodeConfig) > 0 {
		return 0, newError(codeUnsupportedOperation, "InstanceConcurrencyConfig: only MaxConcurrency is emulated (no DynamicEnabled, SessionConfig or MixNodeConfig)")
	}
	if c.MaxConcurrency == nil {
		return cur, nil
	}
	n := *c.MaxConcurrency
	if n < 1 || n > registry.MaxConcurrency {
		return 0, newError(codeBadMaxConcurrency, "MaxConcurrency %d must be 1..%d", n, registry.MaxConcurrency)
	}
	if n > 1 && typ != registry.TypeHTTP {
		return 0, newError(codeBadInstanceConcurrency, "InstanceConcurrencyConfig is for web functions (Type HTTP): an event function's instance takes one request at a time")
	}
	return int(n), nil
}

// concurrencyOut is the InstanceConcurrencyConfig GetFunction shows.
func concurrencyOut(cfg registry.FunctionConfig) *scf.InstanceConcurrencyConfig {
	return &scf.InstanceConcurrencyConfig{
		DynamicEnabled: ptr("FALSE"),
		MaxConcurrency: ptr(uint64(max(cfg.Concurrency, 1))),
	}
}
