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

// checkSite refuses a state-changing request that a hostile page could make
// from the developer's browser. A page may POST text/plain, form or
// multipart bodies to any address without CORS, so the body must be JSON
// (which needs a preflight we never grant), and a browser's own word on where
// the request comes from (Origin, Sec-Fetch-Site) must say this site. SDKs,
// tccli and curl send neither header.
func checkSite(r *http.Request) error {
	if legacySigned(r) {
		return ErrSignatureMethod
	}
	if !changesState(r) {
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) && !strings.EqualFold(o, "https://"+r.Host) {
		return fmt.Errorf("%w: Origin %s is not this emulator (http://%s)", ErrCrossSite, o, r.Host)
	}
	switch s := r.Header.Get("Sec-Fetch-Site"); s {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("%w: Sec-Fetch-Site is %s; only same-origin requests may change anything", ErrCrossSite, s)
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
