package eventsource

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
	"github.com/scf-emulator/emulator/trigger"
)

// CLBPrefix is where the gateway address serves CLB triggers: a trigger
// with path /orders answers at http://GATEWAY/clb/orders. One local
// listener stands for every CLB: trigger paths are unique across
// functions, so no domain is needed to tell them apart.
const CLBPrefix = "/clb"

// CLB serves CLB triggers in front of the gateway. It claims only a
// request that a CLB trigger matches; everything else (a stage that happens
// to be called clb included) goes on to the gateway. Calls are synchronous
// and never retried, as on the platform.
type CLB struct {
	triggers TriggerLister
	eng      Invoker
	next     http.Handler
}

// NewCLB returns the handler that answers the CLB triggers triggers lists
// through eng, and hands every other request to next.
func NewCLB(triggers TriggerLister, eng Invoker, next http.Handler) *CLB {
	return &CLB{triggers: triggers, eng: eng, next: next}
}

func (h *CLB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, CLBPrefix)
	if !ok || !strings.HasPrefix(rest, "/") {
		h.next.ServeHTTP(w, r)
		return
	}
	t, ok := h.match(r.Method, rest)
	if !ok {
		h.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, engine.MaxEventBytes))
	if err != nil {
		http.Error(w, "request body over the 6 MB event limit", http.StatusRequestEntityTooLarge)
		return
	}
	uri := rest
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ",")
	}
	vip := "127.0.0.1"
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		vip, _, _ = net.SplitHostPort(la.String())
	}
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev, err := json.Marshal(trigger.NewCLBEvent(trigger.CLBRequest{Method: r.Method, URI: uri, Host: r.Host, VIP: vip,
		ClientIP: client, Proto: "http", Headers: headers, Body: body, Time: time.Now()}))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	o, err := h.eng.Invoke(r.Context(), engine.Request{Function: t.Function, Qualifier: t.Qualifier, Keys: headerKeys(r.Header),
		Event: ev, Source: registry.TriggerCLB, Trigger: t.Name})
	w.Header().Set("X-Scf-Request-Id", o.RequestID)
	if o.Target.Version != "" {
		w.Header().Set("X-Scf-Version", o.Target.Version)
	}
	if err = errors.Join(err, o.Err); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(clbErrorStatus(err))
		_, _ = w.Write(scferr.Body(err, o.RequestID))
		return
	}
	writeCLBAnswer(w, o.Result.Payload)
}

// match finds the enabled CLB trigger for method and path: exact path
// segments, {name} matching one segment; ANY matches every method.
func (h *CLB) match(method, path string) (registry.Trigger, bool) {
	for _, t := range h.triggers.AllTriggers() {
		if t.Type == registry.TriggerCLB && t.Enabled && (t.Method == "ANY" || t.Method == method) && clbPathMatch(t.Path, path) {
			return t, true
		}
	}
	return registry.Trigger{}, false
}

func clbPathMatch(pattern, path string) bool {
	ps, xs := strings.Split(strings.TrimSuffix(pattern, "/"), "/"), strings.Split(strings.TrimSuffix(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !(strings.HasPrefix(ps[i], "{") && strings.HasSuffix(ps[i], "}") && xs[i] != "") {
			return false
		}
	}
	return true
}

// headerKeys lets routing rules read HTTP request headers,
// case-insensitively.
type headerKeys http.Header

func (h headerKeys) Get(key string) (string, bool) {
	v := http.Header(h).Values(key)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// clbErrorStatus is the HTTP status for a failed call: a routing problem
// is the caller's (404), a function's failure the backend's (502).
func clbErrorStatus(err error) int {
	switch {
	case errors.Is(err, registry.ErrFunctionNotFound), errors.Is(err, registry.ErrAliasNotFound), errors.Is(err, registry.ErrVersionNotFound):
		return http.StatusNotFound
	case scferr.Status(err) == 433:
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// writeCLBAnswer writes the function's answer: an object with statusCode
// (and headers, body, isBase64Encoded) is an HTTP response, as with an API
// Gateway integration; any other answer is sent as it is, with status 200.
func writeCLBAnswer(w http.ResponseWriter, payload []byte) {
	var resp struct {
		StatusCode      *int              `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if json.Unmarshal(payload, &resp) != nil || resp.StatusCode == nil || *resp.StatusCode < 100 || *resp.StatusCode > 599 {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
		return
	}
	body := []byte{}
	if resp.Body != nil {
		body = []byte(*resp.Body)
		if resp.IsBase64Encoded {
			if b, err := base64.StdEncoding.DecodeString(*resp.Body); err == nil {
				body = b
			}
		}
	}
	for k, v := range resp.Headers {
		if !strings.EqualFold(k, "Content-Length") && !strings.EqualFold(k, "Transfer-Encoding") {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(*resp.StatusCode)
	_, _ = w.Write(body)
}
