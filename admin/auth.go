package admin

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/tc3"
)

// SessionCookie carries the dashboard's login token.
const SessionCookie = "scf_emulator_session"

// sessionPath is the cookie's Path: the page's data calls only. Cookies
// ignore ports, so a cookie for / would go with every request the browser
// sends to this host, to the gateway too, whose functions (untrusted code)
// would read the token in their Cookie header. The page and its assets
// hold nothing secret and need no cookie.
const sessionPath = "/emulator/"

// Verifier checks a TC3-HMAC-SHA256 signature; *tc3.Verifier is one.
type Verifier interface {
	Verify(tc3.Request) error
}

// newToken returns a fresh login token: 128 random bits in hex.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand panics itself otherwise)
	return hex.EncodeToString(b)
}

// login handles a GET that carries ?token=: a right token sets the session
// cookie and redirects to the same URL without the token, so it leaves the
// address bar and the history; a wrong one is refused. ok reports whether r
// was a login request.
func (g *Guard) login(w http.ResponseWriter, r *http.Request) (ok bool, err error) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || !q.Has("token") {
		return false, nil
	}
	if !g.tokenOK(q.Get("token")) {
		return true, fmt.Errorf("%w: open the dashboard link `emulator up` printed", ErrBadToken)
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: g.token, Path: sessionPath, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	q.Del("token")
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return true, nil
}

func (g *Guard) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(g.token)) == 1
}

// exempt reports whether r needs no authentication: the health check, the
// dashboard's page and assets (the same for everyone, and outside the
// cookie's path), the metrics when asked for, and the cloud API, which
// verifies its own signatures and answers failures in the platform's
// envelope.
func (g *Guard) exempt(r *http.Request) bool {
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		return true
	case read && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/dashboard/")):
		return true
	case g.opts.MetricsPublic && r.URL.Path == "/metrics":
		return true
	}
	return IsCloudAPI(r)
}

// authenticate accepts the login cookie or a TC3 signature. A signed body
// is read here (the budget already covers it) and handed on unchanged.
func (g *Guard) authenticate(r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && g.tokenOK(c.Value) {
		return nil
	}
	if r.Header.Get("Authorization") == "" {
		return fmt.Errorf("%w: sign the request with TC3-HMAC-SHA256 (the CLI does so with TENCENTCLOUD_SECRET_ID/KEY), "+
			"or open the dashboard link `emulator up` printed", ErrUnauthenticated)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("%w: reading the body: %w", tc3.ErrSignature, err)
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	// The signature covers the Host as sent; api.TolerantListener keeps it
	// when it had to repair tccli's "Host: http://...".
	host := r.Host
	if orig := r.Header.Get(api.OriginalHostHeader); orig != "" {
		host = orig
	}
	return g.opts.Verifier.Verify(tc3.FromHTTP(r, host, body))
}
