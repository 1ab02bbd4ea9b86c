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

	"github.com/scf-emulator/emulator/registry"
)

// APIVersion is the only X-TC-Version the server accepts.
const APIVersion = "2018-04-16"

// maxBodyBytes bounds a request body. The largest legitimate body is a 6 MB
// event carried as a JSON string, whose escaping can roughly double it.
const maxBodyBytes = 16 << 20

// Backend is what the cloud API needs from the emulator: the registry's
// functions, versions and aliases, and a way to run a function.
//
// Lookups return registry.ErrFunctionNotFound, registry.ErrVersionNotFound,
// registry.ErrAliasNotFound or registry.ErrInvalidQualifier; mutations may
// also return registry.ErrAliasExists, ErrDefaultAlias, ErrInvalidAliasName,
// ErrInvalidRouting, ErrAliasBind, ErrVersionLimit or ErrBuildFailed, wrapped
// with %w and a message that names the problem; the message reaches the
// caller as is. Versions may or may not include $LATEST (the server lists it
// once either way). Aliases must include $DEFAULT; with a non-empty version
// it returns only the aliases that route to that version, as primary or
// extra version.
type Backend interface {
	Functions() []registry.Function
	Function(name string) (registry.Function, error)
	Publish(ctx context.Context, name, description string) (registry.Version, error)
	Versions(name string) ([]registry.Version, error)
	Version(name, version string) (registry.Version, error)
	DeleteVersion(name, version string) error
	CreateAlias(name string, a registry.Alias) error
	UpdateAlias(name string, a registry.Alias) error
	Alias(name, alias string) (registry.Alias, error)
	Aliases(name, version string) ([]registry.Alias, error)
	DeleteAlias(name, alias string) error
	// Invoke runs a function. It returns a Go error only for problems before
	// the function ran: registry.ErrFunctionNotFound, registry.ErrAliasNotFound
	// or registry.ErrVersionNotFound (the qualifier does not exist),
	// registry.ErrFunctionType (a web function), or an *scferr.Error for a
	// platform failure such as a 445 container init error. A failure of the
	// function itself is reported in InvokeResult.FuncErr.
	Invoke(ctx context.Context, req InvokeRequest) (InvokeResult, error)
}

// InvokeRequest is one invocation as the cloud API received it.
type InvokeRequest struct {
	Function   string
	Namespace  string            // always registry.DefaultNamespace today
	Qualifier  string            // version or alias; registry.Default when the caller gave none
	Event      []byte            // valid JSON, "{}" when the caller sent none
	RoutingKey map[string]string // nil when absent; JSON numbers arrive as their decimal text
	Async      bool
	LogTail    bool // the caller wants the log (LogType Tail)
}

// InvokeResult is the outcome of an invocation that reached the function.
type InvokeResult struct {
	RequestID string
	Version   string        // the version that ran, e.g. "2" or "$LATEST"
	Payload   []byte        // the function's JSON return value
	FuncErr   error         // an *scferr.Error from the function, nil on success
	Log       string        // the invocation's log lines
	Duration  time.Duration // run time of the handler
	MemUsage  int64         // bytes
}

// Options configures a Server.
type Options struct {
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
}

// Server answers cloud API calls. It implements http.Handler for POST /;
// any other method or path gets a 404 with a JSON error body.
type Server struct {
	backend Backend
	log     *slog.Logger
	actions map[string]handler // implemented actions
	known   map[string]bool    // every action of the SCF SDK client
}

// handler runs one action and returns the response object, without
// RequestId, or an error that errorFor maps to a platform code.
type handler func(ctx context.Context, c *call) (any, error)

// call is the state of one API call.
type call struct {
	action    string
	requestID string
	body      []byte
	function  string      // set by the handler once decoded, for the log line
	header    http.Header // response headers, for emulator extensions such as X-Scf-Version
}

// New returns a Server that serves b.
func New(b Backend, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{backend: b, log: log, known: make(map[string]bool)}
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
	c := &call{action: r.Header.Get("X-TC-Action"), requestID: uuid.NewString(), header: w.Header()}
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
			return nil, &apiError{Code: codeUnsupportedOperation, Message: fmt.Sprintf("action %s is not supported by the emulator yet", c.action)}
		}
		return nil, &apiError{Code: codeInvalidAction, Message: fmt.Sprintf("action %q is not an scf %s action", c.action, APIVersion)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &apiError{Code: codeRequestTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", maxBodyBytes)}
		}
		return nil, &apiError{Code: codeInvalidParameter, Message: "reading the request body: " + err.Error()}
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
