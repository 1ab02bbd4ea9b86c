// Package lazyctx is a cancellable context, optionally with a deadline,
// that costs one allocation until somebody waits on it: no timer, no Done
// channel and no registration with its parent until Done is asked for. The
// web request path makes two per request (the gateway's request context
// and the runtime's invocation timeout), and asks them only Err and
// Deadline: context.WithCancel and context.WithTimeout there cost twelve
// allocations and their parents' locks per request.
package lazyctx
