package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
)

// Platform limits on invocation input and output.
const (
	maxEventBytes      = 6 << 20 // synchronous event
	maxAsyncEventBytes = 128 << 10
	maxRoutingKeyBytes = 1024
	maxLogBytes        = 4 << 10 // LogType Tail returns the last 4 KB
)

// versionHeader carries the version that ran. It is an emulator extension:
// the platform's Result has no such field and the SDK ignores headers.
const versionHeader = "X-Scf-Version"

// invocation is what Invoke and InvokeFunction have in common.
type invocation struct {
	eventField string // the wire name of the event, for messages
	event      *string
	qualifier  string
	logType    string
	routingKey *string
	async      bool // InvocationType Event
}

// invoke serves Invoke. A missing Qualifier means $DEFAULT (DESIGN.md:
// "no qualifier means $DEFAULT"), although the SDK text says $LATEST; the two
// agree until $DEFAULT is re-pointed.
func (s *Server) invoke(ctx context.Context, c *call) (any, error) {
	var p scf.InvokeRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	async := false
	switch t := str(p.InvocationType); t {
	case "", "RequestResponse":
	case "Event":
		async = true
	default:
		return nil, newError(codeBadInvokeType, "InvocationType must be RequestResponse or Event, got %q", t)
	}
	return s.run(ctx, c, invocation{
		eventField: "ClientContext", event: p.ClientContext, qualifier: str(p.Qualifier),
		logType: str(p.LogType), routingKey: p.RoutingKey, async: async,
	})
}

// invokeFunction serves InvokeFunction, the synchronous-only API.
func (s *Server) invokeFunction(ctx context.Context, c *call) (any, error) {
	var p scf.InvokeFunctionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	return s.run(ctx, c, invocation{
		eventField: "Event", event: p.Event, qualifier: str(p.Qualifier),
		logType: str(p.LogType), routingKey: p.RoutingKey,
	})
}

func (s *Server) run(ctx context.Context, c *call, in invocation) (any, error) {
	limit := maxEventBytes
	if in.async {
		limit = maxAsyncEventBytes
	}
	event, err := eventJSON(in.eventField, in.event, limit)
	if err != nil {
		return nil, err
	}
	var tail bool
	switch in.logType {
	case "", "None":
	case "Tail":
		tail = true
	default:
		return nil, newError(codeBadLogType, "LogType must be None or Tail, got %q", in.logType)
	}
	keys, err := parseRoutingKey(in.routingKey)
	if err != nil {
		return nil, err
	}
	qualifier := in.qualifier
	if qualifier == "" {
		qualifier = registry.Default
	}
	res, err := s.backend.Invoke(ctx, InvokeRequest{
		Function:   c.function,
		Namespace:  c.namespace,
		Qualifier:  qualifier,
		Event:      event,
		RoutingKey: keys,
		Async:      in.async,
		LogTail:    tail && !in.async,
	})
	if err == nil && in.async {
		// The run goes on in the background: only its id is known. Its
		// outcome shows in GetRequestStatus and GetFunctionLogs.
		if res.Version != "" {
			c.header.Set(versionHeader, res.Version)
		}
		return &scf.InvokeResponseParams{Result: &scf.Result{FunctionRequestId: ptr(res.RequestID)}}, nil
	}
	if err != nil {
		fe, ok := invokeFailure(err)
		if !ok {
			return nil, err
		}
		// The function never ran, so there is no request id, log or usage.
		res = InvokeResult{RequestID: uuid.NewString(), FuncErr: fe}
	}
	if res.Version != "" {
		c.header.Set(versionHeader, res.Version)
	}
	return &scf.InvokeResponseParams{Result: toResult(res, tail)}, nil
}

// toResult renders an invocation as the platform's Result. A failed function
// is reported here, not as an API error: InvokeResult 1 for a user code
// error (430), -1 for any other failure, with the platform's error body in
// both RetMsg and ErrMsg.
func toResult(res InvokeResult, tail bool) *scf.Result {
	r := &scf.Result{
		Log:               ptr(""),
		RetMsg:            ptr(string(res.Payload)),
		ErrMsg:            ptr(""),
		MemUsage:          ptr(res.MemUsage),
		Duration:          ptr(math.Round(float64(res.Duration)/float64(time.Microsecond)) / 1000),
		BillDuration:      ptr(billDuration(res)),
		FunctionRequestId: ptr(res.RequestID),
		InvokeResult:      ptr(int64(0)),
	}
	if res.FuncErr != nil {
		body := string(scferr.Body(res.FuncErr, res.RequestID))
		r.RetMsg, r.ErrMsg = ptr(body), ptr(body)
		r.InvokeResult = ptr(int64(-1))
		if scferr.Status(res.FuncErr) == scferr.ErrUserCode.Status {
			r.InvokeResult = ptr(int64(1))
		}
	}
	if tail {
		r.Log = ptr(lastBytes(res.Log, maxLogBytes))
	}
	return r
}

// billDuration rounds the run time up to whole milliseconds, at least 1 ms
// for a function that ran.
func billDuration(res InvokeResult) int64 {
	ms := int64(math.Ceil(float64(res.Duration) / float64(time.Millisecond)))
	if ms < 1 && res.Duration > 0 {
		ms = 1
	}
	return ms
}

// lastBytes returns at most the last n bytes of s, starting on a character
// boundary.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return s[cut:]
}

// eventJSON validates the event string; an absent or empty event is {}.
// limit is 6 MB for a synchronous invocation, 128 KB for an asynchronous one.
func eventJSON(field string, s *string, limit int) ([]byte, error) {
	if s == nil || *s == "" {
		return []byte("{}"), nil
	}
	if len(*s) > limit {
		kind := "a synchronous invocation takes at most %d bytes (6 MB)"
		if limit == maxAsyncEventBytes {
			kind = "an asynchronous invocation takes at most %d bytes (128 KB)"
		}
		return nil, newError(codeRequestTooLarge, "%s is %d bytes; "+kind, field, len(*s), limit)
	}
	if !json.Valid([]byte(*s)) {
		return nil, newError(codeBadClientContext, "%s must be a JSON string holding valid JSON, such as {\"key\":\"value\"}", field)
	}
	return []byte(*s), nil
}

// parseRoutingKey parses RoutingKey, a JSON object in a string such as
// {"User":"Bob"} or {"userHash":30}. The platform's own rule-routing example
// passes a number, so numbers are accepted and become their decimal text.
func parseRoutingKey(s *string) (map[string]string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	if len(*s) > maxRoutingKeyBytes {
		return nil, newError(codeBadRoutingKey, "RoutingKey is %d bytes; the limit is %d", len(*s), maxRoutingKeyBytes)
	}
	dec := json.NewDecoder(strings.NewReader(*s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, newError(codeBadRoutingKey, "RoutingKey is not valid JSON: %v", err)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return nil, newError(codeBadRoutingKey, "RoutingKey has data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, newError(codeBadRoutingKey, "RoutingKey must be a JSON object such as {\"User\":\"Bob\"}, not a JSON %s", jsonKind(v))
	}
	keys := make(map[string]string, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		switch val := obj[k].(type) {
		case string:
			keys[k] = val
		case json.Number:
			keys[k] = numberText(val)
		default:
			return nil, newError(codeBadRoutingKey, "RoutingKey value of key %q is a JSON %s; values must be strings or numbers", k, jsonKind(val))
		}
	}
	return keys, nil
}

// numberText renders a JSON number as decimal text: integers exactly as
// written (30 -> "30", also beyond float precision), integral values in other
// notations as integers (3e1 -> "30"), anything else in shortest decimal form.
func numberText(n json.Number) string {
	s := n.String()
	if strings.Trim(strings.TrimPrefix(s, "-"), "0123456789") == "" {
		return s // JSON integers have no leading zeros or "+", so this is canonical
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil { // out of float range: keep the text the caller wrote
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "value"
}
