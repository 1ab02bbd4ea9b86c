package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/scf-emulator/emulator/scferr"
)

// statusClientClosed is the HTTP status for a request the client abandoned
// (nginx's 499), matching SCF's 499 RequestCanceled.
const statusClientClosed = 499

// httpStatus is the one place that maps an SCF status code to the HTTP
// status the gateway answers with.
//
// A function that fails within the API timeout is answered with HTTP 200 and
// the error body, as API Gateway does; a missing function or qualifier is a
// 404; a limit of the platform keeps its HTTP meaning; everything else is the
// gateway failing to get an answer, a 502.
func httpStatus(scf int) int {
	switch scf {
	case 200:
		return http.StatusOK
	case 430, 433, 434, 439:
		return http.StatusOK
	case 435, 442:
		return http.StatusNotFound
	case 406:
		return http.StatusRequestEntityTooLarge
	case 432:
		return http.StatusTooManyRequests
	case 499:
		return statusClientClosed
	default: // 445, 446, 500 and anything unknown
		return http.StatusBadGateway
	}
}

// classify returns the SCF error err stands for. A cancelled request is a
// 499 even when the backend did not say so; an error with no SCF class is an
// internal error whose message keeps the cause, since the emulator's user is
// the developer who needs it.
func classify(err error) *scferr.Error {
	var e *scferr.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return scferr.New(scferr.ErrRequestCanceled, "request canceled", err)
	}
	return scferr.New(scferr.ErrInternal, "internal error: "+err.Error(), err)
}

// instanceAddr matches the host:port of an instance (a process on loopback,
// a container's published port) as dial and proxy errors quote it.
var instanceAddr = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}:\d+\b|\[[0-9a-fA-F:.]+\]:\d+|\blocalhost:\d+\b`)

// forCaller is e as a caller may see it: the address of the instance that
// failed is the emulator's business (the platform never shows one), so it
// stays in the emulator's log only.
func forCaller(e *scferr.Error) *scferr.Error {
	msg := instanceAddr.ReplaceAllString(e.Message, "the function instance")
	if msg == e.Message {
		return e
	}
	c := *e
	c.Message = msg
	return &c
}

// gatewayError is API Gateway's own error body, used when no function
// answered: {"errno":404,"error":"There is no api match uri[/x]"}.
type gatewayError struct {
	Errno int    `json:"errno"`
	Error string `json:"error"`
}

func gatewayErrorBody(status int, msg string) []byte {
	b, err := json.Marshal(gatewayError{Errno: status, Error: msg})
	if err != nil { // cannot happen: an int and a string
		return []byte(`{"errno":` + strconv.Itoa(status) + `}`)
	}
	return b
}

// invalidResponseBody is the platform's answer to a malformed integration
// response, byte for byte.
var invalidResponseBody = []byte(`{"errno":403,"error":"Invalid scf response format. please check your scf response format."}`)

// writeJSON writes a complete JSON answer.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may be gone; nothing left to tell it
}
