package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// maxResponseBytes is the platform's limit on a synchronous result (6 MB).
const maxResponseBytes = 6 << 20

// APIServer is the emulator side of the SCF Custom Runtime API for one
// instance: the function's bootstrap long-polls it for events and posts
// results back.
type APIServer struct {
	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve has returned
	logger *slog.Logger

	ready     chan struct{} // closed by the first /runtime/init/ready
	readyOnce sync.Once

	next      chan *apiCall // hands an invocation to a waiting /next
	closed    chan struct{} // closed by close; ends waiting /next requests
	closeOnce sync.Once

	mu  sync.Mutex // guards cur
	cur *apiCall   // delivered by /next and not yet answered
}

// apiCall is one invocation travelling through the API.
type apiCall struct {
	requestID string
	event     []byte
	memMB     int
	timeoutMs int

	deliverOnce sync.Once
	deliveredAt time.Time // written inside deliverOnce

	finishOnce sync.Once
	done       chan struct{} // closed by finish
	finishedAt time.Time     // written before done is closed
	payload    []byte        // the result, when err is nil
	err        error         // the function's error
}

func newAPICall(inv runtime.Invocation, memMB, timeoutMs int) *apiCall {
	return &apiCall{requestID: inv.RequestID, event: inv.Event, memMB: memMB, timeoutMs: timeoutMs, done: make(chan struct{})}
}

func (c *apiCall) deliver() {
	c.deliverOnce.Do(func() { c.deliveredAt = time.Now() })
}

// finish records the outcome; only the first call counts, as the platform's
// "first post is final".
func (c *apiCall) finish(payload []byte, err error) {
	c.finishOnce.Do(func() {
		c.finishedAt = time.Now()
		c.payload, c.err = payload, err
		close(c.done)
	})
}

// NewAPIServer listens on a free port of host and serves until close. host
// is loopback for processes and the bridge gateway for containers, never a
// wildcard address.
func NewAPIServer(host string, logger *slog.Logger) (*APIServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("runtime api listen: %w", err)
	}
	s := &APIServer{
		ln:     ln,
		served: make(chan struct{}),
		logger: logger,
		ready:  make(chan struct{}),
		next:   make(chan *apiCall),
		closed: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /runtime/init/ready", s.handleReady)
	mux.HandleFunc("GET /runtime/invocation/next", s.handleNext)
	mux.HandleFunc("POST /runtime/invocation/response", s.handleResponse)
	mux.HandleFunc("POST /runtime/invocation/error", s.handleError)
	// No write or idle timeouts: /next is a long poll that may wait for
	// minutes between events.
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("runtime api stopped", "err", err)
		}
	}()
	return s, nil
}

// Host is the address the bootstrap must call.
func (s *APIServer) Host() string {
	return s.ln.Addr().(*net.TCPAddr).IP.String()
}

// Port is the port the bootstrap must call.
func (s *APIServer) Port() string {
	return strconv.Itoa(s.ln.Addr().(*net.TCPAddr).Port)
}

// Close stops the server and waits for it.
func (s *APIServer) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
		<-s.served
	})
}

func (s *APIServer) markReady() {
	s.readyOnce.Do(func() { close(s.ready) })
}

func (s *APIServer) handleReady(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<10))
	s.markReady()
	w.WriteHeader(http.StatusOK)
}

// handleNext delivers the current invocation, or waits for the next one. A
// repeated GET during an invocation gets the same event again.
func (s *APIServer) handleNext(w http.ResponseWriter, r *http.Request) {
	// A runtime that polls without announcing readiness is ready too.
	s.markReady()
	s.mu.Lock()
	call := s.cur
	s.mu.Unlock()
	if call == nil {
		select {
		case call = <-s.next:
			s.mu.Lock()
			s.cur = call
			s.mu.Unlock()
		case <-r.Context().Done():
			return
		case <-s.closed:
			http.Error(w, "runtime api is shutting down", http.StatusServiceUnavailable)
			return
		}
	}
	call.deliver()
	h := w.Header()
	// Set directly: the documented names are lower case with underscores,
	// which canonicalisation would rewrite.
	h["request_id"] = []string{call.requestID}
	h["memory_limit_in_mb"] = []string{strconv.Itoa(call.memMB)}
	h["time_limit_in_ms"] = []string{strconv.Itoa(call.timeoutMs)}
	h.Set("Content-Type", "application/json")
	// A length, never chunking (net/http chunks an answer of more than 2 KB
	// without one): the Python bootstrap reads exactly Content-Length bytes
	// off its kept connection.
	h.Set("Content-Length", strconv.Itoa(len(call.event)))
	_, _ = w.Write(call.event)
}

// take returns the current invocation and ends it on the API side, or nil.
func (s *APIServer) take() *apiCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	call := s.cur
	s.cur = nil
	return call
}

func (s *APIServer) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	call := s.take()
	if call == nil {
		// Later posts for a finished invocation are ignored, as on the platform.
		s.logger.Debug("runtime api: response without an invocation in progress")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if len(body) > maxResponseBytes {
		call.finish(nil, scferr.Newf(scferr.ErrResponseTooLarge, nil, "response too large: more than %d bytes", maxResponseBytes))
	} else {
		call.finish(body, nil)
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *APIServer) handleError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	call := s.take()
	if call == nil {
		s.logger.Debug("runtime api: error without an invocation in progress")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	call.finish(nil, runtimeError(body))
	w.WriteHeader(http.StatusAccepted)
}

// runtimeError turns an /invocation/error body into a 430 error. The
// emulator's bootstraps post {"errorType","errorMessage","stackTrace"};
// custom runtimes post whatever text they like.
func runtimeError(body []byte) error {
	var e struct {
		ErrorType    string          `json:"errorType"`
		ErrorMessage string          `json:"errorMessage"`
		StackTrace   json.RawMessage `json:"stackTrace"`
	}
	if err := json.Unmarshal(body, &e); err != nil || (e.ErrorType == "" && e.ErrorMessage == "") {
		return scferr.UserError("", strings.TrimSpace(string(body)), "")
	}
	var stack string
	var lines []string
	switch {
	case json.Unmarshal(e.StackTrace, &stack) == nil:
	case json.Unmarshal(e.StackTrace, &lines) == nil:
		stack = strings.Join(lines, "\n")
	}
	stack = strings.TrimRight(stack, "\n")
	if e.ErrorType != "" && namesError(stack, e.ErrorType, e.ErrorMessage) {
		return scferr.UserError("", stack, "")
	}
	return scferr.UserError(e.ErrorType, e.ErrorMessage, stack)
}

// namesError reports whether stack already names the error ("Type: message",
// or the type alone without a message) on its own: first, as Node.js
// stacks do, or last, as Python tracebacks do (the type maybe qualified by
// its module). The platform's stackTrace is such a stack as it is, without
// the error named a second time.
func namesError(stack, errType, message string) bool {
	head := errType
	if message != "" {
		head += ": " + message
	}
	if rest, ok := strings.CutPrefix(stack, head); ok && (rest == "" || rest[0] == '\n') {
		return true
	}
	if before, ok := strings.CutSuffix(stack, head); ok && (before == "" || strings.HasSuffix(before, "\n") || strings.HasSuffix(before, ".")) {
		return true
	}
	return false
}
