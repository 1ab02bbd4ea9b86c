package replay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/gateway"
)

// ErrInvalidRequest is returned by Replay, before anything runs, when a
// recorded method, path or the stage makes no HTTP request line.
var ErrInvalidRequest = errors.New("invalid recorded request")

// requestTargets is the request target (/stage/path) of each recorded
// request, checked: httptest.NewRequest panics on what no request line
// carries, and a line break would smuggle a request head in.
func requestTargets(req Request) ([]string, error) {
	out := make([]string, len(req.Requests))
	for i, rr := range req.Requests {
		out[i] = "/" + req.Stage + rr.Path
		if !strings.HasPrefix(rr.Path, "/") {
			out[i] = "/" + req.Stage + "/" + rr.Path
		}
		method := rr.Method
		if method == "" {
			method = http.MethodGet // as httptest.NewRequest
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + out[i] + " HTTP/1.0\r\n\r\n")))
		if err != nil || r.Method != method || r.RequestURI != out[i] {
			return nil, fmt.Errorf("%w %d: %q %q is no HTTP request line", ErrInvalidRequest, i+1, method, out[i])
		}
	}
	return out, nil
}

// send runs one recorded request, pinned by pn, through g, at target, and
// returns the answer, its body capped as the diff store keeps it.
func send(ctx context.Context, g http.Handler, req *Request, rr diff.Request, target string, pn *pin) diff.Answer {
	r := httptest.NewRequestWithContext(context.WithValue(ctx, pinKey{}, pn), rr.Method, target, strings.NewReader(rr.Body))
	r.Header = rr.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	switch h := r.Header.Get("Host"); {
	case h != "":
		r.Host = h
	case req.Service != "":
		r.Host = strings.ToLower(req.Service) + ".localhost"
	case rr.Host != "": // where it was recorded
		r.Host = rr.Host
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	body := w.Body.String()
	a := diff.Answer{Status: w.Code, Header: w.Result().Header, Body: body}
	if len(body) > diff.DefaultBodyBytes {
		a.Body, a.Truncated = body[:diff.DefaultBodyBytes], true
	}
	return a
}

// endpoint is the method and API path template a replayed request matched,
// or its path when no template matches.
func (rp *Replayer) endpoint(fn, stage string, rr diff.Request) string {
	path, _, _ := strings.Cut(rr.Path, "?")
	var onStage []gateway.Route
	for _, rt := range rp.routes.Routes(fn) {
		if rt.Stage == stage {
			onStage = append(onStage, rt)
		}
	}
	if i := gateway.PickRoute(onStage, rr.Method, path); i >= 0 {
		return rr.Method + " " + onStage[i].Path
	}
	return rr.Method + " " + path
}
