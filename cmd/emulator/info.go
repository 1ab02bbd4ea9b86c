package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// infoAnswer is GET /emulator/info: where this emulator serves and what it
// runs, so clients (split-test) find the gateway instead of guessing it.
type infoAnswer struct {
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

func (a *App) serveInfo(w http.ResponseWriter, _ *http.Request) {
	v, commit, gover := buildVersion()
	writeJSON(w, http.StatusOK, infoAnswer{
		Gateway: reachableURL(a.gwLn.Addr()), Admin: reachableURL(a.adminLn.Addr()),
		Version: v, Commit: commit, Go: gover, Runtime: a.runtimeDesc,
		Functions: len(a.reg.Functions()), Config: a.file.Path, StateDir: a.stateDir,
	})
}

// reachableURL is the URL of a listening address; a wildcard address
// (0.0.0.0, ::) becomes loopback, which reaches it from this machine.
func reachableURL(addr net.Addr) string {
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

// fetchInfo asks the emulator at endpoint (an --endpoint value) about itself.
func fetchInfo(ctx context.Context, endpoint string) (infoAnswer, error) {
	resp, err := adminGet(ctx, endpoint, "/emulator/info", url.Values{})
	if err != nil {
		return infoAnswer{}, err
	}
	defer resp.Body.Close()
	var ans infoAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Gateway == "" {
		return infoAnswer{}, fmt.Errorf("bad answer from the emulator at /emulator/info: %v", err)
	}
	return ans, nil
}
