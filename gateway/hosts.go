package gateway

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// HostGuard refuses gateway requests whose Host names a host the gateway
// was not told about. A web page the user opens can make its own name
// resolve to 127.0.0.1 (DNS rebinding) and then call the user's local
// functions and read their answers as same-origin: the browser still sends
// the page's name as Host, so refusing unknown names stops it. IP literals
// cannot be rebound, localhost and *.localhost never reach DNS (RFC 6761),
// and host.docker.internal is what a function in a container calls the
// host by; those always pass.
type HostGuard struct {
	next  http.Handler
	any   bool            // "*" was given: every Host passes
	names map[string]bool // further lower-case names, without port
	log   *slog.Logger

	mu      sync.Mutex      // guards refused
	refused map[string]bool // names already logged, so a page retrying does not flood the console
}

// maxRefusedLogged bounds the names HostGuard remembers having logged.
const maxRefusedLogged = 64

// NewHostGuard wraps next. names are further Host names to accept (a port
// is ignored); "*" accepts any Host.
func NewHostGuard(next http.Handler, names []string, log *slog.Logger) *HostGuard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &HostGuard{next: next, names: map[string]bool{}, log: log, refused: map[string]bool{}}
	for _, n := range names {
		if strings.TrimSpace(n) == "*" {
			g.any = true
		}
		if h := hostName(n); h != "" {
			g.names[h] = true
		}
	}
	return g
}

// Allowed reports whether a request with this Host header may pass.
func (g *HostGuard) Allowed(host string) bool {
	h := hostName(host)
	switch {
	case g.any, h == "", h == "localhost", h == "host.docker.internal", g.names[h]:
		// An empty Host is an HTTP/1.0 client: browsers always send one.
		return true
	case strings.HasSuffix(h, ".localhost"):
		return true
	}
	_, err := netip.ParseAddr(h) // net.ParseIP would allocate on every request
	return err == nil
}

func (g *HostGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.Allowed(r.Host) {
		g.next.ServeHTTP(w, r)
		return
	}
	name := hostName(r.Host)
	g.mu.Lock()
	first := !g.refused[name] && len(g.refused) < maxRefusedLogged
	if first {
		g.refused[name] = true
	}
	g.mu.Unlock()
	if first {
		g.log.Warn("gateway refused a request for an unknown Host (a web page using DNS rebinding sends its own name); "+
			"start with --gateway-host NAME to accept it", "host", name)
	}
	msg := "Host[" + name + "] is not served: the gateway answers IP addresses, localhost, *.localhost and names given " +
		"with --gateway-host (a guard against DNS rebinding)"
	writeJSON(w, http.StatusForbidden, gatewayErrorBody(http.StatusForbidden, msg))
}

// hostName lower-cases a host[:port] value and drops the port, the
// brackets of an IPv6 literal and a trailing dot.
func hostName(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	// By hand: net.SplitHostPort allocates an error for a Host without a port.
	if rest, ok := strings.CutPrefix(v, "["); ok {
		v, _, _ = strings.Cut(rest, "]")
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 && strings.IndexByte(v, ':') == i {
		v = v[:i]
	}
	return strings.TrimSuffix(v, ".")
}
