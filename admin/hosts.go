package admin

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// hostAllow decides which Host headers name this server. A DNS-rebinding
// page reaches 127.0.0.1 under its own name, and the browser sends that
// name: refusing names we were not told about stops it. IP literals cannot
// be rebound, so a loopback address or the address a connection arrived on
// is always fine.
type hostAllow struct {
	names map[string]bool // lower-case names and IP literals, without port
}

func newHostAllow(adminAddr string, extra []string) hostAllow {
	a := hostAllow{names: map[string]bool{"localhost": true}}
	if h := hostOnly(adminAddr); h != "" {
		// A wildcard listen address names no host: 0.0.0.0 is itself a
		// rebinding target in some browsers.
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			a.names[h] = true
		}
	}
	for _, n := range extra {
		if h := hostOnly(n); h != "" {
			a.names[h] = true
		}
	}
	return a
}

// hostOnly lower-cases a host[:port] value and drops the port and the
// brackets of an IPv6 literal.
func hostOnly(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if h, _, err := net.SplitHostPort(v); err == nil {
		v = h
	}
	return strings.TrimSuffix(strings.Trim(v, "[]"), ".")
}

// check returns nil when r's Host is allowed, else an error wrapping ErrHost.
func (a hostAllow) check(r *http.Request) error {
	h := hostOnly(r.Host)
	switch {
	case h == "":
		return fmt.Errorf("%w: the request has no Host header", ErrHost)
	case a.names[h]:
		return nil
	// RFC 6761: browsers resolve *.localhost to loopback themselves and
	// never ask DNS, so no attacker can own such a name.
	case strings.HasSuffix(h, ".localhost"):
		return nil
	}
	if ip := net.ParseIP(h); ip != nil {
		if ip.IsLoopback() || ip.Equal(localIP(r)) {
			return nil
		}
	}
	return fmt.Errorf("%w: Host %q does not name this emulator; it answers localhost, loopback addresses, its admin address "+
		"and names given with --admin-host (a web page reaching it through DNS rebinding sends its own name)", ErrHost, r.Host)
}

// localIP is the address the connection of r arrived on, or nil.
func localIP(r *http.Request) net.IP {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return nil
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP
	}
	return nil
}
