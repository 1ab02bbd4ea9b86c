// Package gateway is the emulator's API Gateway: it serves
// http://<addr>/<stage>/<path>, binds each stage of a service to a qualifier
// (alias or version, with per-API overrides), asks a Backend which concrete
// version runs, and then either delivers the API Gateway event to an event
// function and applies its integration response, or passes the raw request
// through to a web function's HTTP server. When the Backend names a shadow
// version for a request and is a Shadower, the gateway also prepares a copy
// (the same event, or the web request with its body buffered) for the
// Backend to run in the background; the copy's answer goes nowhere.
//
// Server is the HTTP/1.1 server the emulator runs the gateway listener
// with: its own accept loop and request-head parser for the common case,
// net/http for what it hands off (upgrades, request trailers). It caps
// open connections and cuts those whose client stops reading; Listener
// gives a net/http.Server (the admin address) the same defences.
package gateway
