package admin

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// changesState reports whether r may change something: every method but
// the safe ones. The cloud API, rollouts, abort and the dashboard's edits
// (which are cloud API calls) are all POSTs.
func changesState(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// checkSite refuses what a hostile page could make the developer's browser
// do: load from the admin address (checkFetchSite), or change something. A page may POST text/plain, form or
// multipart bodies to any address without CORS, so the body must be JSON
// (which needs a preflight we never grant), and a browser's own word on where
// the request comes from (Origin, Sec-Fetch-Site) must say this site. SDKs,
// tccli and curl send neither header.
func checkSite(r *http.Request) error {
	if legacySigned(r) {
		return ErrSignatureMethod
	}
	if err := checkFetchSite(r); err != nil {
		return err
	}
	if !changesState(r) {
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) && !strings.EqualFold(o, "https://"+r.Host) {
		return fmt.Errorf("%w: Origin %s is not this emulator (http://%s)", ErrCrossSite, o, r.Host)
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w, not %q (a web page can send other types to any address without asking)", ErrContentType, ct)
	}
	return nil
}

// legacySigned reports whether r is a cloud API call signed the v1 way:
// its parameters, Signature among them, in a form body or the query of a
// GET, instead of a TC3-HMAC-SHA256 Authorization header. Refused here it
// gets the platform's signature error, not the content type's.
func legacySigned(r *http.Request) bool {
	if r.URL.Path != "/" || strings.HasPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256") {
		return false
	}
	if q := r.URL.Query(); q.Has("Signature") && q.Has("Action") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded"
}

// checkFetchSite refuses what another site's page asks of the admin
// address without changing anything: its scripts, images, stylesheets,
// frames and fetches. The answers are unreadable to it, but whether one
// loads tells it what the developer runs (a log stream of a function that
// exists loads as a script, one of a missing function fails), and every
// follow stream it opens holds an admin connection. Pages served by the
// gateway count as another site's too: they are functions' output, on
// another port of the same host (same-site, not same-origin). A top-level
// navigation (a link to the dashboard) passes: the user sees it. Clients
// that send no Sec-Fetch-Site (the CLI, SDKs, curl, Prometheus) pass.
func checkFetchSite(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return nil
	}
	if !changesState(r) && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document" {
		return nil
	}
	if changesState(r) {
		return fmt.Errorf("%w: Sec-Fetch-Site is %s; only same-origin requests may change anything", ErrCrossSite, r.Header.Get("Sec-Fetch-Site"))
	}
	return fmt.Errorf("%w: Sec-Fetch-Site is %s and Sec-Fetch-Dest %q: another site's page may only link to the admin address, "+
		"not load from it; open the dashboard itself, or call the address from a program", ErrCrossSite,
		r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Sec-Fetch-Dest"))
}
