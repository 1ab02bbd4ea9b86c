// Package api serves the Tencent Cloud API 3.0 protocol for SCF (version
// 2018-04-16) at POST / on the emulator's admin address, so the official SDKs
// and tccli work against the emulator unchanged. It decodes requests into the
// SDK's own model types, calls a small Backend (the registry and the runtime
// behind one facade) and maps every failure to the platform's error codes in
// one place (errors.go).
package api
