package tc3

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signature method Verify accepts.
const Algorithm = "TC3-HMAC-SHA256"

// DefaultMaxSkew is how far X-TC-Timestamp may be from the server's clock,
// as on the platform.
const DefaultMaxSkew = 5 * time.Minute

// unsignedPayload is the X-TC-Content-SHA256 value that exempts the body.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Sentinel errors, one per platform error code.
var (
	// ErrSignature: a missing or malformed Authorization or timestamp, a
	// wrong scope, or a signature that does not match
	// (AuthFailure.SignatureFailure).
	ErrSignature = errors.New("signature verification failed")
	// ErrExpired: the timestamp is too far from the server's clock
	// (AuthFailure.SignatureExpire).
	ErrExpired = errors.New("signature expired")
	// ErrUnknownSecretID: no key is known for the SecretId
	// (AuthFailure.SecretIdNotFound).
	ErrUnknownSecretID = errors.New("secret id not found")
)

// Request is what a signature covers.
type Request struct {
	Method string
	Host   string      // the Host header exactly as the client sent it
	Query  string      // the raw query; signed only for GET
	Header http.Header // Content-Type, X-TC-Timestamp, X-TC-Content-SHA256 and any other signed header
	Body   []byte      // the raw body bytes
	// Action names what the request does (method, path, X-TC-Action), and
	// Client the address it came from; neither is signed. Verifier.Replay
	// binds a signature to the first client that used it.
	Action, Client string
}

// FromHTTP takes method, query and headers from r; host is the Host value
// the client signed and body the raw body already read from r.
func FromHTTP(r *http.Request, host string, body []byte) Request {
	action := r.Method + " " + r.URL.Path + " " + r.Header.Get("X-TC-Action")
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	return Request{Method: r.Method, Host: host, Query: r.URL.RawQuery, Header: r.Header, Body: body, Action: action, Client: client}
}

// Verifier checks signatures against a set of credentials.
type Verifier struct {
	Service string            // the credential scope's service, e.g. "scf"
	Keys    map[string]string // SecretId -> SecretKey
	MaxSkew time.Duration     // 0 means DefaultMaxSkew
	Now     func() time.Time  // nil means time.Now
	// Replay, when set, refuses a signature already used for another action.
	Replay *Replay
}

// authorization is a parsed Authorization header.
type authorization struct {
	secretID, date, service string
	signedHeaders           []string
	signature               string
}

// Verify checks req's Authorization header. Errors wrap ErrSignature,
// ErrExpired or ErrUnknownSecretID and say what was wrong, never the
// expected signature.
func (v *Verifier) Verify(req Request) error {
	auth, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	tsText := req.Header.Get("X-TC-Timestamp")
	if tsText == "" {
		return fmt.Errorf("%w: the X-TC-Timestamp header is missing", ErrSignature)
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: X-TC-Timestamp %q is not a Unix time in seconds", ErrSignature, tsText)
	}
	ts := time.Unix(secs, 0)
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if d := now().Sub(ts); d > skew || d < -skew {
		return fmt.Errorf("%w: X-TC-Timestamp %s is %s away from the server's clock; the limit is %s",
			ErrExpired, ts.UTC().Format(time.RFC3339), d.Round(time.Second).Abs(), skew)
	}
	if want := ts.UTC().Format(time.DateOnly); auth.date != want {
		return fmt.Errorf("%w: the credential date %s is not the UTC date of X-TC-Timestamp (%s)", ErrSignature, auth.date, want)
	}
	if auth.service != v.Service {
		return fmt.Errorf("%w: the credential is scoped to service %q, not %q", ErrSignature, auth.service, v.Service)
	}
	key, ok := v.Keys[auth.secretID]
	if !ok {
		return fmt.Errorf("%w: SecretId %q is not known to this server", ErrUnknownSecretID, auth.secretID)
	}
	for _, need := range []string{"content-type", "host"} {
		if !slices.Contains(auth.signedHeaders, need) {
			return fmt.Errorf("%w: SignedHeaders must include %s", ErrSignature, need)
		}
	}
	got := []byte(strings.ToLower(auth.signature))
	// The SDKs sign header values verbatim, the API documentation lowercases
	// them; either form is accepted.
	for _, lower := range []bool{false, true} {
		want := signature(req, auth.signedHeaders, lower, auth.date, v.Service, tsText, key)
		if subtle.ConstantTimeCompare(got, []byte(want)) == 1 {
			if v.Replay != nil {
				return v.Replay.Check(string(got), req.Action, req.Client, ts.Add(skew), now())
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the signature does not match the request (check the SecretKey, and that the body and the Host header are sent unchanged)", ErrSignature)
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if h == "" {
		return a, fmt.Errorf("%w: the Authorization header is missing", ErrSignature)
	}
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != Algorithm {
		return a, fmt.Errorf("%w: the Authorization header must start with %s", ErrSignature, Algorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("%w: Authorization part %q is not key=value", ErrSignature, strings.TrimSpace(part))
		}
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 4 || cred[0] == "" || cred[3] != "tc3_request" {
		return a, fmt.Errorf("%w: Authorization Credential must be SecretId/YYYY-MM-DD/service/tc3_request", ErrSignature)
	}
	a.secretID, a.date, a.service = cred[0], cred[1], cred[2]
	if fields["SignedHeaders"] == "" {
		return a, fmt.Errorf("%w: Authorization SignedHeaders is missing", ErrSignature)
	}
	a.signedHeaders = strings.Split(strings.ToLower(fields["SignedHeaders"]), ";")
	a.signature = fields["Signature"]
	if len(a.signature) != sha256.Size*2 {
		return a, fmt.Errorf("%w: Authorization Signature must be %d hex digits", ErrSignature, sha256.Size*2)
	}
	return a, nil
}

// signature computes the hex signature of req.
func signature(req Request, signed []string, lower bool, date, service, ts, key string) string {
	var canon strings.Builder
	canon.WriteString(req.Method)
	canon.WriteString("\n/\n")
	if req.Method == http.MethodGet {
		canon.WriteString(req.Query)
	}
	canon.WriteByte('\n')
	for _, name := range signed {
		v := req.Header.Get(name)
		if name == "host" {
			v = req.Host
		}
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(v)
		}
		canon.WriteString(name + ":" + v + "\n")
	}
	canon.WriteByte('\n')
	canon.WriteString(strings.Join(signed, ";"))
	canon.WriteByte('\n')
	if req.Header.Get("X-TC-Content-SHA256") == unsignedPayload {
		canon.WriteString(sha256Hex([]byte(unsignedPayload)))
	} else {
		canon.WriteString(sha256Hex(req.Body))
	}
	scope := date + "/" + service + "/tc3_request"
	toSign := Algorithm + "\n" + ts + "\n" + scope + "\n" + sha256Hex([]byte(canon.String()))
	k := hmacSHA256([]byte("TC3"+key), date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "tc3_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// Sign returns the Authorization header value for req, signed at ts with
// SignedHeaders content-type;host, as the SDKs do. Sign does not read
// req.Header's X-TC-Timestamp; the caller sends ts there.
func Sign(req Request, service, secretID, secretKey string, ts time.Time) string {
	signed := []string{"content-type", "host"}
	date := ts.UTC().Format(time.DateOnly)
	sig := signature(req, signed, false, date, service, strconv.FormatInt(ts.Unix(), 10), secretKey)
	return fmt.Sprintf("%s Credential=%s/%s/%s/tc3_request, SignedHeaders=%s, Signature=%s",
		Algorithm, secretID, date, service, strings.Join(signed, ";"), sig)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
