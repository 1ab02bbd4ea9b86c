// Package api serves the Tencent Cloud API 3.0 protocol for SCF (version
// 2018-04-16) at POST / on the emulator's admin address, so the official SDKs
// and tccli work against the emulator unchanged: functions created from zips,
// versions, aliases, apigw triggers, invocation (sync and async) and logs. It
// decodes requests into the SDK's own model types, optionally verifies TC3
// signatures, calls a small Backend and maps every failure to the platform's
// error codes in one place (errors.go). TolerantListener repairs tccli's
// "Host: http://..." header before net/http rejects it.
package api
