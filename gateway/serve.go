package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// Response headers the gateway owns; a function cannot set them.
const (
	hdrVersion      = "X-Scf-Version"
	hdrRoute        = "X-Scf-Route"
	hdrRequestID    = "X-Scf-Request-Id"
	hdrAPIRequestID = "X-Api-Requestid" // canonical form of X-Api-RequestId
	hdrStatus       = "X-Scf-Status"
)

// exchange is the state of one request while the gateway answers it.
type exchange struct {
	g        *Gateway
	w        *responseWriter
	r        *http.Request
	apiReqID string // X-Api-RequestId and requestContext.requestId
	reqID    string // SCF request id, "" until a function is chosen
	rec      Record
	diff     *diffCall // the request's diff-mode copy, nil for none
	match    matchResult
	// hv backs the values of the answer headers the gateway sets, so they
	// cost no allocation each: one slot per header (see setHeader).
	hv [5]string
	// What a request allocates once, kept here to be one allocation: w's
	// writer, and a web request's proxy call and the panic it carries past
	// the backend (serveWeb).
	rw      responseWriter
	call    proxyCall
	aborted any
}

// Slots of exchange.hv.
const (
	slotAPIRequestID = iota
	slotVersion
	slotRoute
	slotRequestID
	slotStatus
)

// setHeader sets the answer header k, in canonical form, to v, the value
// living in slot i of hv.
func (ex *exchange) setHeader(i int, k, v string) {
	ex.hv[i] = v
	ex.w.Header()[k] = ex.hv[i : i+1 : i+1]
}

// serve answers the request on table t, which the request keeps for its
// whole life even if SetServices swaps in another one meanwhile.
func (ex *exchange) serve(ctx context.Context, t *table) {
	ex.setHeader(slotAPIRequestID, hdrAPIRequestID, ex.apiReqID)

	svc := t.lookup(ex.r.Host)
	if svc == nil {
		ex.writeRouteError(http.StatusNotFound, fmt.Sprintf("There is no service match host[%s]", ex.r.Host))
		return
	}
	ex.rec.Service = svc.name

	stage, rest, restRaw := splitStage(ex.r.URL)
	ex.rec.Stage, ex.rec.Path = stage, rest
	router, ok := svc.stages[stage]
	if !ok {
		ex.writeRouteError(http.StatusNotFound, "There is no api match default env_mapping[/"+stage+"]")
		return
	}

	// Templates match the decoded path without the stage.
	m := &ex.match
	if !router.match(ex.r.Method, rest, m) {
		if m.wrongVerb {
			ex.writeRouteError(http.StatusMethodNotAllowed, "There is no api match method["+ex.r.Method+"] uri["+rest+"]")
			return
		}
		ex.writeRouteError(http.StatusNotFound, "There is no api match uri["+rest+"]")
		return
	}
	api := m.api

	ex.reqID = ex.g.newID()
	ex.rec.RequestID = ex.reqID
	ex.rec.Function, ex.rec.Qualifier = api.function, api.qualifier

	tgt, err := ex.g.backend.Resolve(ctx, api.function, api.qualifier, ex.r.Header)
	if err != nil {
		ex.writeFailure(fmt.Errorf("resolve %s:%s: %w", api.function, api.qualifier, err))
		return
	}
	// The configured qualifier is what the event reports, whatever the
	// backend echoes back.
	tgt.Qualifier, tgt.Stage = api.qualifier, stage
	if tgt.Function == "" {
		tgt.Function = api.function
	}
	ex.rec.Version, ex.rec.Route = tgt.Version, tgt.Route
	ex.setSCFHeaders(tgt)
	ex.startDiff(tgt, api.path)

	switch tgt.Type {
	case TypeEvent:
		ex.serveEvent(ctx, svc, stage, api, tgt, rest, m.vars())
	case TypeHTTP:
		ex.serveWeb(ctx, tgt, rest, restRaw)
	default:
		ex.writeFailure(scferr.Newf(scferr.ErrInternal, nil, "function %s has type %q, want %q or %q", tgt.Function, tgt.Type, TypeEvent, TypeHTTP))
	}
}

// setSCFHeaders sets the headers that name the version a request ran on.
func (ex *exchange) setSCFHeaders(t Target) {
	if t.Version != "" {
		ex.setHeader(slotVersion, hdrVersion, t.Version)
	}
	if t.Route != "" {
		ex.setHeader(slotRoute, hdrRoute, t.Route)
	}
	ex.setHeader(slotRequestID, hdrRequestID, ex.reqID)
}

// setSCFStatus records and announces the function's SCF status.
func (ex *exchange) setSCFStatus(status int) {
	ex.rec.SCFStatus = status
	v := "200"
	if status != 200 {
		v = strconv.Itoa(status)
	}
	ex.setHeader(slotStatus, hdrStatus, v)
}

// writeRouteError answers a request that matched no function.
func (ex *exchange) writeRouteError(status int, msg string) {
	ex.rec.Err = errors.New(msg)
	writeJSON(ex.w, status, gatewayErrorBody(status, msg))
}

// writeFailure answers with the platform error body for err, unless an
// answer has already started.
func (ex *exchange) writeFailure(err error) {
	e := classify(err)
	ex.rec.Err = err
	if ex.w.wroteHeader {
		return
	}
	if ex.reqID != "" {
		ex.setHeader(slotRequestID, hdrRequestID, ex.reqID)
	}
	ex.setSCFStatus(e.Status)
	writeJSON(ex.w, httpStatus(e.Status), scferr.Body(forCaller(e), ex.reqID))
}

// finish recovers a panic of this request, then records and logs it. A
// Backend that panics costs one 502, never the server.
func (ex *exchange) finish() {
	p := recover()
	if p != nil && p != http.ErrAbortHandler {
		ex.g.log.Error("gateway request panicked", "panic", p, "function", ex.rec.Function,
			"version", ex.rec.Version, "request_id", ex.reqID, "stack", string(debug.Stack()))
		ex.writeFailure(scferr.Newf(scferr.ErrInternal, nil, "internal error: gateway panic: %v", p))
	}
	if p == http.ErrAbortHandler && ex.rec.Err == nil {
		ex.rec.Err = errors.New("response aborted")
	}
	ex.rec.Status = ex.w.status
	if ex.rec.Status == 0 {
		ex.rec.Status = http.StatusOK
	}
	ex.rec.Duration = time.Since(ex.rec.Time)
	ex.endDiff()
	ex.logRecord()
	if ex.g.observe != nil {
		ex.g.observe(ex.rec)
	}
	if p == http.ErrAbortHandler {
		// net/http aborts the connection quietly on this value; the proxy uses
		// it when a web function dies halfway through its answer.
		panic(p)
	}
}

func (ex *exchange) logRecord() {
	ctx := ex.r.Context()
	if !ex.g.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	rec := &ex.rec
	attrs := []slog.Attr{
		slog.String("service", rec.Service), slog.String("stage", rec.Stage),
		slog.String("method", rec.Method), slog.String("path", rec.Path),
		slog.String("function", rec.Function), slog.String("qualifier", rec.Qualifier),
		slog.String("version", rec.Version), slog.String("route", rec.Route),
		slog.String("request_id", rec.RequestID), slog.Int("status", rec.Status),
		slog.Int("scf_status", rec.SCFStatus), slog.Duration("duration", rec.Duration),
	}
	if rec.Err != nil {
		attrs = append(attrs, slog.String("error", rec.Err.Error()))
	}
	ex.g.log.LogAttrs(ctx, slog.LevelDebug, "gateway request", attrs...)
}
