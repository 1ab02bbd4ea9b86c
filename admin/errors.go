package admin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/tc3"
)

// Refusals, one per defence; callers and tests branch on them with errors.Is.
var (
	// ErrHost: the Host header names neither this machine nor an allowed name.
	ErrHost = errors.New("host not allowed")
	// ErrCrossSite: a state-changing request from another site.
	ErrCrossSite = errors.New("cross-site request refused")
	// ErrContentType: a state-changing request whose body is not JSON.
	ErrContentType = errors.New("content type must be application/json")
	// ErrUnauthenticated: credentials are set and the request carries
	// neither a signature nor the login cookie.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrBadToken: a login link with a wrong token.
	ErrBadToken = errors.New("login token does not match")
	// ErrTooLarge: one body larger than any endpoint accepts.
	ErrTooLarge = errors.New("request body too large")
	// ErrBusy: the bodies being read already hold the whole memory budget.
	ErrBusy = errors.New("too many request bodies in flight")
)

// Platform error codes of the refusals.
const (
	codeUnauthorized     = "AuthFailure.UnauthorizedOperation"
	codeInvalidAuth      = "AuthFailure.InvalidAuthorization"
	codeSignatureFailure = "AuthFailure.SignatureFailure"
	codeSignatureExpire  = "AuthFailure.SignatureExpire"
	codeSecretIDNotFound = "AuthFailure.SecretIdNotFound"
	codeContentType      = "InvalidParameter.ContentType"
	codeTooLarge         = "InvalidParameter.RequestTooLarge"
	codeLimitExceeded    = "RequestLimitExceeded"
	codeInternal         = "InternalError"
)

// Classify maps an error to the HTTP status of a non-cloud-API answer and
// the platform error code. It is the one place that knows both.
func Classify(err error) (status int, code string) {
	switch {
	case errors.Is(err, ErrHost), errors.Is(err, ErrCrossSite):
		return http.StatusForbidden, codeUnauthorized
	case errors.Is(err, ErrContentType):
		return http.StatusUnsupportedMediaType, codeContentType
	case errors.Is(err, ErrUnauthenticated), errors.Is(err, ErrBadToken):
		return http.StatusUnauthorized, codeInvalidAuth
	case errors.Is(err, tc3.ErrExpired):
		return http.StatusUnauthorized, codeSignatureExpire
	case errors.Is(err, tc3.ErrUnknownSecretID):
		return http.StatusUnauthorized, codeSecretIDNotFound
	case errors.Is(err, tc3.ErrSignature):
		return http.StatusUnauthorized, codeSignatureFailure
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, codeTooLarge
	case errors.Is(err, ErrBusy):
		return http.StatusTooManyRequests, codeLimitExceeded
	}
	return http.StatusInternalServerError, codeInternal
}

// IsCloudAPI reports whether r is a cloud API call, which SDKs and tccli
// expect answered in the platform's envelope.
func IsCloudAPI(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/"
}

// WriteError answers r with err. The cloud API gets the platform envelope
// {"Response":{"Error":{Code,Message},"RequestId"}}, with HTTP 200 as the
// platform answers its own errors, except for a foreign Host or site (403:
// no SDK sends those, a browser does); every other endpoint gets
// {"error","code"} with Classify's status.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := Classify(err)
	h := w.Header()
	// Exactly application/json: tccli compares the header verbatim.
	h["Content-Type"] = []string{"application/json"}
	h.Set("Cache-Control", "no-store")
	var body []byte
	if IsCloudAPI(r) {
		type platformError struct{ Code, Message string }
		type response struct {
			Error     platformError
			RequestId string
		}
		body, _ = json.Marshal(struct{ Response response }{response{platformError{code, err.Error()}, uuid.NewString()}})
		if status != http.StatusForbidden {
			status = http.StatusOK
		}
	} else {
		body, _ = json.Marshal(struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}{err.Error(), code})
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
