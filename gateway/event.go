package gateway

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/scf-emulator/emulator/scferr"
)

// event is the API Gateway event an event function receives (scf-behaviour
// 5.1); field order follows real payloads.
type event struct {
	RequestContext        requestContext    `json:"requestContext"`
	Headers               map[string]string `json:"headers"`
	Body                  string            `json:"body,omitempty"`
	PathParameters        map[string]string `json:"pathParameters"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	HeaderParameters      map[string]string `json:"headerParameters"`
	StageVariables        map[string]string `json:"stageVariables"`
	Path                  string            `json:"path"`
	QueryString           map[string]any    `json:"queryString"`
	HTTPMethod            string            `json:"httpMethod"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	ServiceID  string   `json:"serviceId"`
	Path       string   `json:"path"`       // the API's path template
	HTTPMethod string   `json:"httpMethod"` // the API's configured method, may be ANY
	RequestID  string   `json:"requestId"`
	Identity   struct{} `json:"identity"` // {}: the emulator has no API authentication
	SourceIP   string   `json:"sourceIp"`
	Stage      string   `json:"stage"`
}

// The API backend timeout the emulator announces, in seconds (the
// platform's default).
const endpointTimeout = "15"

// serveEvent delivers the API Gateway event to an event function and applies
// its integration response.
func (ex *exchange) serveEvent(ctx context.Context, svc *serviceTable, stage string, api *apiRoute, t Target, rest string, vars map[string]string) {
	body, err := ex.receiveBody()
	if err != nil {
		ex.failBody(err)
		return
	}
	payload, err := encodeEvent(ex.buildEvent(svc, stage, api, rest, vars, body))
	if err != nil {
		ex.writeFailure(fmt.Errorf("encode api gateway event: %w", err))
		return
	}
	ex.shadowEvent(t, payload, body)
	out, err := ex.g.backend.Invoke(ctx, t, ex.reqID, payload)
	if err != nil {
		ex.writeFailure(fmt.Errorf("invoke %s version %s: %w", t.Function, t.Version, err))
		return
	}
	ex.setSCFStatus(200)
	if api.passThrough {
		passThrough(ex.w, out)
		return
	}
	resp, err := parseIntegration(out)
	if err != nil {
		ex.rec.Err = err
		writeJSON(ex.w, http.StatusForbidden, invalidResponseBody)
		return
	}
	resp.write(ex.w)
}

// encodeEvent writes the event as JSON without HTML escaping, so "<" in a
// body or header reaches the function as written rather than as \u003c.
func encodeEvent(ev *event) ([]byte, error) {
	return appendEvent(make([]byte, 0, 1024+len(ev.Body)), ev), nil
}

// tooLarge is the platform's 406 (HTTP 413) for a body over limit.
func tooLarge(limit int64) error {
	return scferr.Newf(scferr.ErrRequestTooLarge, nil, "request body is larger than the limit of %d bytes", limit)
}

func (ex *exchange) buildEvent(svc *serviceTable, stage string, api *apiRoute, rest string, vars map[string]string, body []byte) *event {
	r := ex.r
	ev := &event{
		RequestContext: requestContext{
			ServiceID:  svc.id,
			Path:       api.path,
			HTTPMethod: api.method,
			RequestID:  ex.apiReqID,
			SourceIP:   sourceIP(r.RemoteAddr),
			Stage:      stage,
		},
		Headers:               eventHeaders(r, api.qualifier, ex.apiReqID),
		PathParameters:        vars,
		QueryStringParameters: map[string]string{},
		HeaderParameters:      map[string]string{},
		StageVariables:        map[string]string{"stage": stage},
		Path:                  rest,
		QueryString:           map[string]any{},
		HTTPMethod:            r.Method,
	}
	if ev.PathParameters == nil {
		ev.PathParameters = map[string]string{}
	}
	parseQuery(r.URL.RawQuery, ev.QueryString, ev.QueryStringParameters)
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// eventHeaders lower-cases the request headers, joins repeated ones with ","
// and adds the headers API Gateway itself sets, which a client cannot spoof.
func eventHeaders(r *http.Request, qualifier, apiReqID string) map[string]string {
	h := make(map[string]string, len(r.Header)+7)
	for k, vs := range r.Header {
		h[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		h["host"] = r.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	h["x-qualifier"] = qualifier
	h["x-api-requestid"] = apiReqID
	h["x-api-scheme"] = scheme
	h["requestsource"] = "APIGW"
	h["x-anonymous-consumer"] = "true"
	h["endpoint-timeout"] = endpointTimeout
	return h
}

// parseQuery fills queryString the platform's way: a string for one value,
// a list for a repeated key, true for a key without "=". params gets the
// first value of each key: the emulator declares no API parameters, so it
// reports them all rather than none.
func parseQuery(raw string, queryString map[string]any, params map[string]string) {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		k = unescapeQuery(k)
		v = unescapeQuery(v)
		if _, ok := params[k]; !ok {
			params[k] = v
		}
		prev, seen := queryString[k]
		switch {
		case !seen && !hasValue:
			queryString[k] = true
		case !seen:
			queryString[k] = v
		default:
			queryString[k] = appendQueryValue(prev, v)
		}
	}
}

func appendQueryValue(prev any, v string) []string {
	switch p := prev.(type) {
	case []string:
		return append(p, v)
	case string:
		return []string{p, v}
	default: // a valueless key seen before counts as an empty value
		return []string{"", v}
	}
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func sourceIP(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}
