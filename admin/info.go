package admin

import (
	"fmt"
	"net"
	"net/http"

	"github.com/scf-emulator/emulator/gateway"
)

// Info is GET /emulator/info: where this emulator serves and what it runs,
// so clients (split-test) find the gateway instead of guessing it.
type Info struct {
	Gateway   string `json:"gateway"` // a URL clients on this machine can reach
	Admin     string `json:"admin"`
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Go        string `json:"go"`
	Runtime   string `json:"runtime"`   // as the banner describes it
	Functions int    `json:"functions"` // defined now, config and API alike
	Config    string `json:"config"`    // the config file; "" for an empty emulator
	StateDir  string `json:"stateDir"`
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, s.opts.Info.Info())
	return nil
}

// ReachableURL is the URL of a listening address; a wildcard address
// (0.0.0.0, ::) becomes loopback, which reaches it from this machine.
func ReachableURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + addr.String()
	}
	ip := net.IPv4(127, 0, 0, 1)
	if tcp.IP.To4() == nil {
		ip = net.IPv6loopback
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// RoutesAnswer is what GET /emulator/routes returns: the gateway routes
// that reach a function, for split-test.
type RoutesAnswer struct {
	Function string `json:"function"`
	// Services is how many services the gateway serves; with one, the
	// Host header does not matter.
	Services int             `json:"services"`
	Routes   []gateway.Route `json:"routes"`
}

func (s *Server) routes(w http.ResponseWriter, r *http.Request) error {
	fn, err := s.function(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RoutesAnswer{Function: fn, Services: len(s.opts.Gateway.Services()), Routes: s.opts.Gateway.Routes(fn)})
	return nil
}
