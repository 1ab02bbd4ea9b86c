// Package platform owns the names and grammars of the SCF platform that the
// emulator enforces: function, alias and trigger names, versions and
// qualifiers, the routing-rule expressions of aliases, the API Gateway
// methods, runtime names, handlers, environment variable names and the
// memory and timeout bounds. emulator.yaml (config), the cloud API (api) and
// the registry all ask this package, so a name one of them accepts is never
// refused by another.
//
// The rules are the platform's as written down in
// /work/shared/reference/scf-behaviour.md and tencent-cloud-api.md (each
// rule cites its section); where the emulator deliberately differs, the
// comment on the rule says so and why. The package imports nothing of the
// emulator, so any layer may use it.
package platform
