package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/tc3"
)

// signService is the service in the credential scope of SCF calls.
const signService = "scf"

// ErrNoCredentials is wrapped by RequireCredentials' refusal.
var ErrNoCredentials = errors.New("no credentials for a non-loopback admin address")

// newVerifier returns the signature verifier opts ask for, or nil.
func newVerifier(opts Options, now func() time.Time) *tc3.Verifier {
	if opts.SecretID == "" && opts.SecretKey == "" {
		return nil
	}
	keys := map[string]string{}
	if opts.SecretID != "" && opts.SecretKey != "" {
		keys[opts.SecretID] = opts.SecretKey
	}
	// With half a credential keys stays empty, so every call fails with
	// AuthFailure.SecretIdNotFound rather than being let through.
	replay := opts.Replay
	if replay == nil {
		replay = tc3.NewReplay(0)
	}
	return &tc3.Verifier{Service: signService, Keys: keys, Now: now, Replay: replay}
}

// authenticate checks the call's signature when verification is on. The
// signature covers the Host header as the client sent it; TolerantListener
// preserves it in OriginalHostHeader when it had to repair it. A client
// could send that header itself, but then it could as well have sent that
// Host, so trusting it costs nothing.
func (s *Server) authenticate(r *http.Request, body []byte) error {
	if s.verifier == nil {
		return nil
	}
	host := r.Host
	if orig := r.Header.Get(OriginalHostHeader); orig != "" {
		host = orig
	}
	err := s.verifier.Verify(tc3.FromHTTP(r, host, body))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tc3.ErrExpired):
		return &apiError{Code: codeSignatureExpire, Message: err.Error()}
	case errors.Is(err, tc3.ErrUnknownSecretID):
		return &apiError{Code: codeSecretIDNotFound, Message: err.Error()}
	}
	return &apiError{Code: codeSignatureFailure, Message: err.Error()}
}

// RequireCredentials refuses to serve the cloud API on adminAddr when anyone
// else could reach it unauthenticated: the address is not loopback, no
// credentials are configured and insecure was not asked for. Whoever reaches
// the API can deploy and run code on this machine.
func RequireCredentials(adminAddr string, hasCreds, insecure bool) error {
	if hasCreds || insecure || isLoopback(adminAddr) {
		return nil
	}
	return fmt.Errorf("%w: the admin address %s accepts connections from other machines, and whoever reaches the cloud API "+
		"can deploy and run code here; give credentials (--secret-id/--secret-key or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY) "+
		"so that every call must be signed, or pass --insecure to serve it unauthenticated anyway", ErrNoCredentials, adminAddr)
}

// isLoopback reports whether addr (host:port) only listens on loopback.
// An empty host or a name other than localhost counts as reachable.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
