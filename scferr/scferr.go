package scferr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a failure with an SCF status code. Message is the text the platform
// shows to the caller (lower-case first letter here; Body capitalises it).
type Error struct {
	Status     int    // SCF status code, e.g. 433
	Message    string // e.g. "invoking task timed out after 3 seconds"
	StackTrace string // user errors only
	Err        error  // cause, for logs; never shown in the body
}

// Error returns the message, followed by the cause when there is one and it
// adds something.
func (e *Error) Error() string {
	if e.Err != nil && e.Err.Error() != e.Message {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same status, so the
// sentinels below match any error of their class.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Status == e.Status
}

// Sentinels, one per status the emulator produces. Compare with errors.Is.
var (
	ErrBadEvent          = &Error{Status: 400, Message: "invalid parameter value: event is not json"}
	ErrRequestTooLarge   = &Error{Status: 406, Message: "request too large"}
	ErrResponseTooLarge  = &Error{Status: 407, Message: "response too large"}
	ErrUserCode          = &Error{Status: 430, Message: "user code exception caught"}
	ErrConcurrency       = &Error{Status: 432, Message: "resource limit reached: too many concurrent instances"}
	ErrTimeout           = &Error{Status: 433, Message: "invoking task timed out"}
	ErrMemory            = &Error{Status: 434, Message: "memory limit reached"}
	ErrFunctionNotFound  = &Error{Status: 435, Message: "function not found"}
	ErrInvalidParameter  = &Error{Status: 436, Message: "invalid parameter value"}
	ErrHandlerNotFound   = &Error{Status: 437, Message: "handler not found"}
	ErrProcessExit       = &Error{Status: 439, Message: "user process exit when running"}
	ErrQualifierNotFound = &Error{Status: 442, Message: "qualifier not found"}
	ErrContainerInit     = &Error{Status: 445, Message: "container init error"}
	ErrPortBinding       = &Error{Status: 446, Message: "port binding failed: the http server did not listen in time"}
	ErrRequestCanceled   = &Error{Status: 499, Message: "request canceled"}
	ErrInternal          = &Error{Status: 500, Message: "internal error"}
)

// New returns an error of the sentinel's class with its own message and cause.
func New(class *Error, msg string, cause error) *Error {
	return &Error{Status: class.Status, Message: msg, Err: cause}
}

// Newf is New with a formatted message.
func Newf(class *Error, cause error, format string, args ...any) *Error {
	return New(class, fmt.Sprintf(format, args...), cause)
}

// Timeout returns the 433 error for a function whose limit was seconds.
func Timeout(seconds int) *Error {
	return &Error{Status: 433, Message: fmt.Sprintf("invoking task timed out after %d seconds", seconds)}
}

// UserError returns the 430 error for an exception raised by user code.
func UserError(errType, message, stack string) *Error {
	text := message
	if errType != "" {
		text = errType + ": " + message
	}
	if stack != "" {
		text += "\n" + stack
	}
	return &Error{Status: 430, Message: "user code exception caught", StackTrace: text}
}

// Status returns the SCF status code of err: 200 for nil, 500 when err carries
// no *Error.
func Status(err error) int {
	if err == nil {
		return 200
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 500
}

// As returns the outermost *Error in err's chain, or an internal error that
// wraps err when there is none.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return New(ErrInternal, "internal error", err)
}

// body is the platform's error JSON, field order as seen in real responses.
type body struct {
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	StackTrace   string `json:"stackTrace,omitempty"`
	RequestID    string `json:"requestId,omitempty"`
	StatusCode   int    `json:"statusCode"`
}

// Body renders err as the platform's error body, e.g.
// {"errorCode":-1,"errorMessage":"Invoking task timed out after 3 seconds","requestId":"…","statusCode":433}.
// User errors carry errorCode 1, every other failure -1.
func Body(err error, requestID string) []byte {
	e := As(err)
	b := body{ErrorCode: -1, ErrorMessage: capitalise(e.Message), StackTrace: e.StackTrace, RequestID: requestID, StatusCode: e.Status}
	if e.Status == 430 {
		b.ErrorCode = 1
		b.ErrorMessage = e.Message
	}
	out, _ := json.Marshal(b) // cannot fail: strings and ints only
	return out
}

// capitalise upper-cases the first letter of a sentence, but leaves a
// message that starts with a name as it is: a file (scf_bootstrap,
// index.js), a path or a URL.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	first, _, _ := strings.Cut(s, " ")
	if n == 0 || strings.HasPrefix(s, "http") || strings.ContainsAny(strings.TrimRight(first, ":,"), "_./") {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
