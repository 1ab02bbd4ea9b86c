package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
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
	// ErrSignatureMethod: a cloud API call signed the legacy way (v1:
	// HmacSHA1 or HmacSHA256 over form parameters with Signature=), which
	// SDKs still offer as SignMethod.
	ErrSignatureMethod = errors.New("unsupported signature method: the emulator takes TC3-HMAC-SHA256 signatures only " +
		"(the SDKs' and tccli's default; set the client profile's SignMethod to TC3-HMAC-SHA256); " +
		"the legacy HmacSHA1/HmacSHA256 signature with Signature= parameters is not supported")
	// ErrUnauthenticated: credentials are set and the request carries
	// neither a signature nor the login cookie.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrBadToken: a login link with a wrong token.
	ErrBadToken = errors.New("login token does not match")
	// ErrTooLarge: one body larger than any endpoint accepts.
	ErrTooLarge = errors.New("request body too large")
	// ErrBusy: the bodies being read already hold the whole memory budget.
	ErrBusy = errors.New("too many request bodies in flight")
	// ErrBadRequest: a query value or body an endpoint cannot take.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: what an endpoint was asked about does not exist.
	ErrNotFound = errors.New("not found")
)

// kinded is an error that answers with the status and code of kind but
// keeps err's message: the message is what the CLI prints.
type kinded struct{ err, kind error }

func (k kinded) Error() string   { return k.err.Error() }
func (k kinded) Unwrap() []error { return []error{k.err, k.kind} }

// As gives err the status and code of kind (ErrBadRequest, ErrNotFound,
// ...) while keeping its message: how another package's errors join the
// one mapping (Classify) without admin importing that package.
func As(err, kind error) error { return kinded{err, kind} }

// badRequest is an ErrBadRequest with exactly the message given.
func badRequest(format string, args ...any) error {
	return kinded{fmt.Errorf(format, args...), ErrBadRequest}
}

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
	codeBadValue         = "InvalidParameterValue"
	codeNoFunction       = "ResourceNotFound.Function"
	codeNoAlias          = "ResourceNotFound.Alias"
	codeNoVersion        = "ResourceNotFound.Version"
	codeNotFound         = "ResourceNotFound"
	codeInUse            = "ResourceInUse"
	codeFailedOperation  = "FailedOperation"
	codeUnavailable      = "ResourceUnavailable"
)

// Classify maps an error to the HTTP status of a non-cloud-API answer and
// the platform error code. It is the one place that knows both, for the
// guard's refusals and every endpoint's failures alike.
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
	case errors.Is(err, tc3.ErrSignature), errors.Is(err, ErrSignatureMethod):
		return http.StatusUnauthorized, codeSignatureFailure
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, codeTooLarge
	case errors.Is(err, ErrBusy):
		return http.StatusTooManyRequests, codeLimitExceeded
	case errors.Is(err, ErrStreams):
		return http.StatusServiceUnavailable, codeLimitExceeded
	// A rollout plan naming a missing function or alias wraps both
	// ErrInvalidPlan and the registry's error: the missing thing wins (404),
	// a missing target version stays a fault of the plan (400).
	case errors.Is(err, registry.ErrFunctionNotFound):
		return http.StatusNotFound, codeNoFunction
	case errors.Is(err, registry.ErrAliasNotFound):
		return http.StatusNotFound, codeNoAlias
	case errors.Is(err, rollout.ErrInvalidPlan), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, codeBadValue
	case errors.Is(err, registry.ErrVersionNotFound):
		return http.StatusNotFound, codeNoVersion
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, codeNotFound
	case errors.Is(err, rollout.ErrActive):
		return http.StatusConflict, codeInUse
	case errors.Is(err, rollout.ErrNotActive), errors.Is(err, registry.ErrNotParked):
		return http.StatusConflict, codeFailedOperation
	case errors.Is(err, rollout.ErrClosed):
		return http.StatusServiceUnavailable, codeUnavailable
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
