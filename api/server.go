package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/tc3"
)

// APIVersion is the only X-TC-Version the server accepts.
const APIVersion = "2018-04-16"

// maxBodyBytes bounds a request body. The largest legitimate body is a 6 MB
// event carried as a JSON string, whose escaping can roughly double it.
const maxBodyBytes = 16 << 20

// maxCodeBodyBytes bounds the body of the actions that carry a code package:
// a 20 MB zip is 26.7 MB in base64, plus the other parameters.
const maxCodeBodyBytes = 32 << 20

// Options configures a Server.
type Options struct {
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
	// SecretID and SecretKey turn on TC3-HMAC-SHA256 signature verification
	// of every call; with both empty, signatures are not checked. Setting
	// only one of them is a mistake Validate reports; the server then
	// refuses every call.
	SecretID, SecretKey string
	// GatewayURL is the gateway's base URL, such as http://127.0.0.1:8080.
	// Trigger descriptions return it as service.subDomain and in url.
	GatewayURL string
	// ServiceURL, when set, gives the base URL at which the gateway serves
	// one service (with several services the gateway tells them apart by
	// Host, so a bare GatewayURL reaches none of them); trigger
	// descriptions then return it instead of GatewayURL. nil: GatewayURL.
	ServiceURL func(service string) string
	// ServiceNames lists the API Gateway services declared outside the
	// cloud API (emulator.yaml), so that a trigger may name one by its
	// serviceId; nil means none.
	ServiceNames func() []string
	// Replay remembers which action each recent signature was used for, so a
	// captured signature cannot be resent as another action; share one with
	// the other signed endpoints of the admin address. nil: the server keeps
	// its own.
	Replay *tc3.Replay
	// Async runs and tracks async events; nil answers the async actions
	// with UnsupportedOperation.
	Async AsyncEvents
	// Capacity keeps provisioned and reserved concurrency; nil answers
	// those actions with UnsupportedOperation.
	Capacity Capacity
	// BucketRoot is the folder under which a COS trigger's bucket, named
	// by bucketUrl in its TriggerDesc, is a subfolder; "" requires the
	// desc's local "bucket" folder.
	BucketRoot string
	// Now is the clock for signature expiry and default log windows; nil
	// means time.Now.
	Now func() time.Time
}

// Validate reports options that cannot work together.
func (o Options) Validate() error {
	if (o.SecretID == "") != (o.SecretKey == "") {
		return errors.New("api: signature verification needs both a secret id and a secret key")
	}
	return nil
}

// Server answers cloud API calls. It implements http.Handler for POST /;
// any other method or path gets a 404 with a JSON error body.
type Server struct {
	backend  Backend
	log      *slog.Logger
	opts     Options
	now      func() time.Time
	verifier *tc3.Verifier      // nil when signatures are not checked
	actions  map[string]handler // implemented actions
	known    map[string]bool    // every action of the SCF SDK client
}

// handler runs one action and returns the response object, without
// RequestId, or an error that errorFor maps to a platform code.
type handler func(ctx context.Context, c *call) (any, error)

// call is the state of one API call.
type call struct {
	action    string
	requestID string
	body      []byte
	function  string // registry key (registry.Key) of the function; set by check, for the log line
	name      string // the plain function name, set by check
	namespace string // the namespace, set by check
	hasNS     func(string) bool
	header    http.Header // response headers, for emulator extensions such as X-Scf-Version
}

// New returns a Server that serves b.
func New(b Backend, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{backend: b, log: log, opts: opts, now: opts.Now, known: make(map[string]bool)}
	if s.now == nil {
		s.now = time.Now
	}
	s.verifier = newVerifier(opts, s.now)
	s.actions = s.handlers()
	for _, a := range sdkActions() {
		s.known[a] = true
	}
	return s
}

// ServeHTTP answers one cloud API call, always with HTTP 200 and the
// platform's JSON envelope for POST /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{action: r.Header.Get("X-TC-Action"), requestID: uuid.NewString(), header: w.Header(), hasNS: s.hasNamespace}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		e := &apiError{Code: codeInvalidRequest, Message: fmt.Sprintf("%s %s is not served here: the cloud API accepts POST / only", r.Method, r.URL.Path)}
		writeJSON(w, http.StatusNotFound, errorEnvelope(e, c.requestID))
		return
	}
	resp, err := s.dispatch(r, w, c)
	var body []byte
	if err == nil {
		body, err = successEnvelope(resp, c.requestID)
	}
	code := "OK"
	if err != nil {
		e := errorFor(c, err)
		code, body = e.Code, errorEnvelope(e, c.requestID)
	}
	writeJSON(w, http.StatusOK, body)
	s.logCall(r.Context(), c, code, time.Since(start), err)
}

// dispatch checks the protocol headers, reads the body and runs the action.
// A panic in an action becomes an InternalError answer, so one bad request
// cannot take the connection down with it.
func (s *Server) dispatch(r *http.Request, w http.ResponseWriter, c *call) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic in cloud api action",
				slog.String("action", c.action), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			resp, err = nil, fmt.Errorf("panic in action %s: %v", c.action, p)
		}
	}()
	limit := int64(maxBodyBytes)
	if c.action == "CreateFunction" || c.action == "UpdateFunctionCode" {
		limit = maxCodeBodyBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &apiError{Code: codeRequestTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
		}
		return nil, &apiError{Code: codeInvalidParameter, Message: "reading the request body: " + err.Error()}
	}
	// The signature comes first: an unauthenticated caller learns nothing,
	// not even which actions exist.
	if err := s.authenticate(r, body); err != nil {
		return nil, err
	}
	if c.action == "" {
		return nil, &apiError{Code: codeMissingParameter, Message: "the X-TC-Action header is required"}
	}
	switch v := r.Header.Get("X-TC-Version"); v {
	case APIVersion:
	case "":
		return nil, &apiError{Code: codeMissingParameter, Message: "the X-TC-Version header is required (use " + APIVersion + ")"}
	default:
		return nil, &apiError{Code: codeNoSuchVersion, Message: fmt.Sprintf("API version %q does not exist for scf; the emulator serves %s", v, APIVersion)}
	}
	h, ok := s.actions[c.action]
	if !ok {
		if s.known[c.action] {
			return nil, &apiError{Code: codeUnsupportedOperation, Message: fmt.Sprintf("action %s is not supported by the emulator", c.action)}
		}
		return nil, &apiError{Code: codeInvalidAction, Message: fmt.Sprintf("action %q is not an scf %s action", c.action, APIVersion)}
	}
	c.body = body
	return h(r.Context(), c)
}

func (s *Server) logCall(ctx context.Context, c *call, code string, d time.Duration, err error) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("action", c.action),
		slog.String("function", c.function),
		slog.String("code", code),
		slog.Duration("duration", d),
		slog.String("request_id", c.requestID),
	}
	if code == codeInternalError {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	// slog ignores cancellation, so a cancelled request still gets its line.
	s.log.LogAttrs(ctx, level, "cloud api call", attrs...)
}

// successEnvelope renders {"Response": {...resp, "RequestId": id}}. RequestId
// is spliced in rather than set per action so no action can forget it.
func successEnvelope(resp any, requestID string) ([]byte, error) {
	obj, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encoding the response: %w", err)
	}
	if string(obj) == "null" {
		obj = []byte("{}")
	}
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("encoding the response: %T is not a JSON object", resp)
	}
	id, _ := json.Marshal(requestID) // a string cannot fail
	out := make([]byte, 0, len(obj)+len(id)+32)
	out = append(out, `{"Response":`...)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"RequestId":`...)
	out = append(out, id...)
	out = append(out, "}}"...)
	return out, nil
}

func errorEnvelope(e *apiError, requestID string) []byte {
	type errBody struct {
		Code    string
		Message string
	}
	type response struct {
		Error     errBody
		RequestId string
	}
	out, _ := json.Marshal(struct{ Response response }{response{errBody{e.Code, e.Message}, requestID}}) // strings only
	return out
}

// writeJSON sets Content-Type to exactly application/json: tccli's Python SDK
// compares the header verbatim and treats anything else, even with a
// charset, as a success body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
