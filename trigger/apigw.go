package trigger

import (
	"net/url"
	"strings"
)

// APIGWEvent is an API Gateway event, for `emulator event apigw`: the
// gateway builds its own from live requests, with the same field names.
type APIGWEvent struct {
	RequestContext        APIGWContext      `json:"requestContext"`
	Headers               map[string]string `json:"headers"`
	Body                  string            `json:"body"`
	PathParameters        map[string]string `json:"pathParameters"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	HeaderParameters      map[string]string `json:"headerParameters"`
	StageVariables        map[string]string `json:"stageVariables"`
	Path                  string            `json:"path"`
	QueryString           map[string]string `json:"queryString"`
	HTTPMethod            string            `json:"httpMethod"`
}

// APIGWContext is the event's requestContext.
type APIGWContext struct {
	ServiceID  string            `json:"serviceId"`
	Path       string            `json:"path"`
	HTTPMethod string            `json:"httpMethod"`
	RequestID  string            `json:"requestId"`
	Identity   map[string]string `json:"identity"`
	SourceIP   string            `json:"sourceIp"`
	Stage      string            `json:"stage"`
}

// APIGWRequest is what an API Gateway event template is built from.
type APIGWRequest struct {
	Method    string
	Path      string // may carry ?query
	Body      string
	Stage     string
	ServiceID string
	RequestID string
	Headers   map[string]string
}

// NewAPIGWEvent returns the event of request r.
func NewAPIGWEvent(r APIGWRequest) APIGWEvent {
	path, rawQuery, _ := strings.Cut(r.Path, "?")
	q := map[string]string{}
	if vals, err := url.ParseQuery(rawQuery); err == nil {
		for k, v := range vals {
			q[k] = v[len(v)-1]
		}
	}
	h := map[string]string{"host": "127.0.0.1", "user-agent": "emulator", "x-anonymous-consumer": "true"}
	for k, v := range r.Headers {
		h[strings.ToLower(k)] = v
	}
	method := strings.ToUpper(r.Method)
	return APIGWEvent{
		RequestContext: APIGWContext{ServiceID: r.ServiceID, Path: path, HTTPMethod: method, RequestID: r.RequestID,
			Identity: map[string]string{}, SourceIP: "127.0.0.1", Stage: r.Stage},
		Headers: h, Body: r.Body, PathParameters: map[string]string{}, QueryStringParameters: q,
		HeaderParameters: map[string]string{}, StageVariables: map[string]string{}, Path: path, QueryString: q,
		HTTPMethod: method,
	}
}
