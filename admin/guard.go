package admin

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults for the zero values of Options.
const (
	// DefaultMaxBody is the largest body any admin endpoint takes: a
	// CreateFunction carrying a 20 MB zip in base64 (the cloud API's own
	// limit for code actions).
	DefaultMaxBody = 32 << 20
	// DefaultBodyBudget is what all bodies being read may hold together:
	// four of the largest.
	DefaultBodyBudget = 4 * DefaultMaxBody
	// DefaultBodyTimeout bounds the time a body may take to arrive.
	DefaultBodyTimeout = time.Minute
)

// Options configures a Guard. The zero value checks Host and site, keeps
// the default body budget and asks for no authentication.
type Options struct {
	// AdminAddr is the configured listen address (host:port); its host is
	// an allowed Host unless it is a wildcard.
	AdminAddr string
	// Hosts are further names the admin address may be called by
	// (--admin-host), with or without port.
	Hosts []string
	// Verifier, when set, turns on authentication of every endpoint but
	// /healthz (and /metrics with MetricsPublic); the cloud API at POST /
	// verifies its own signatures. Give it the Replay the cloud API uses.
	Verifier Verifier
	// MetricsPublic leaves GET /metrics open for Prometheus scrapes.
	MetricsPublic bool
	// MaxBody, BodyBudget and BodyTimeout bound request bodies; 0 means
	// the defaults above.
	MaxBody, BodyBudget int64
	BodyTimeout         time.Duration
	// Logger reports refusals at debug level; nil discards.
	Logger *slog.Logger
}

// Guard is the middleware in front of the admin handler.
type Guard struct {
	opts   Options
	hosts  hostAllow
	budget *budget
	token  string // the dashboard login token; "" without a Verifier
	log    *slog.Logger
}

// New returns a Guard configured by opts.
func New(opts Options) *Guard {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.BodyBudget <= 0 {
		opts.BodyBudget = DefaultBodyBudget
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	g := &Guard{opts: opts, hosts: newHostAllow(opts.AdminAddr, opts.Hosts),
		budget: &budget{total: opts.BodyBudget, max: opts.MaxBody}, log: opts.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if opts.Verifier != nil {
		g.token = newToken()
	}
	return g
}

// LoginToken is the token that logs a browser in to the dashboard
// (http://ADMIN/?token=...); "" when no authentication is asked for.
func (g *Guard) LoginToken() string { return g.token }

// BodyBytesInUse is how much of the body budget requests hold right now.
func (g *Guard) BodyBytesInUse() int64 { return g.budget.used() }

// Wrap returns next behind the guard's checks, in the order that refuses
// the cheapest and most certain things first: Host, site, the body budget,
// then authentication (which may read a signed body).
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No answer of the admin address is for another origin's page:
		// browsers that send no Sec-Fetch-Site still keep it from being
		// embedded (CORP) or run as something it is not (nosniff).
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if err := g.hosts.check(r); err != nil {
			g.refuse(w, r, err)
			return
		}
		if err := checkSite(r); err != nil {
			g.refuse(w, r, err)
			return
		}
		release, err := g.budget.reserve(r)
		if err != nil {
			g.refuse(w, r, err)
			return
		}
		defer release()
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(g.opts.BodyTimeout))
			r.Body = &deadlineBody{body: http.MaxBytesReader(w, r.Body, g.opts.MaxBody), rc: rc}
		}
		if g.opts.Verifier != nil {
			if ok, err := g.login(w, r); ok {
				if err != nil {
					g.refuse(w, r, err)
				}
				return
			}
			if !g.exempt(r) {
				if err := g.authenticate(r); err != nil {
					g.refuse(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, err error) {
	g.log.LogAttrs(r.Context(), slog.LevelDebug, "admin request refused",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("host", r.Host), slog.String("err", err.Error()))
	WriteError(w, r, err)
}
