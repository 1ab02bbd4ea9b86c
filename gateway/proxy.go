package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"
)

// The account a web function sees in its X-Scf-* headers; the emulator has
// no real account, so these are fixed, plausible values.
const (
	scfRegion = "ap-guangzhou"
	scfAppID  = "1250000000"
	scfUIN    = "100000000001"
)

// proxyKey carries a request's *proxyCall through the shared ReverseProxy.
type proxyKey struct{}

// proxyCall is what the shared ReverseProxy needs to know about one request.
type proxyCall struct {
	addr          string // host:port of the instance, from Backend.Serve
	path, rawPath string // request path without the stage
	target        Target
	requestID     string
	err           error // the proxy's failure; written by the gateway, not the proxy
}

func callFrom(ctx context.Context) *proxyCall {
	c, _ := ctx.Value(proxyKey{}).(*proxyCall)
	return c
}

// newProxy builds the one Transport and ReverseProxy all web-function
// requests share, so connections to warm instances are reused.
func newProxy(log *slog.Logger) (*http.Transport, *httputil.ReverseProxy) {
	tr := &http.Transport{
		Proxy: nil, // instances are on loopback; HTTP_PROXY must not apply
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      tr,
		ModifyResponse: stripAnswerHeaders,
		// Record the failure and let the gateway answer, so that the
		// backend's classification of it (e.g. the process died: 439) wins.
		ErrorHandler: func(_ http.ResponseWriter, r *http.Request, err error) {
			if c := callFrom(r.Context()); c != nil {
				c.err = err
			}
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return tr, rp
}

// rewrite points the outgoing request at the instance: the path loses the
// stage, the query stays, and the X-Scf-* headers are the platform's only.
func rewrite(pr *httputil.ProxyRequest) {
	c := callFrom(pr.In.Context())
	out := pr.Out
	out.URL.Scheme = "http"
	out.URL.Host = c.addr
	out.URL.Path = c.path
	out.URL.RawPath = c.rawPath
	pr.SetXForwarded()

	h := out.Header
	for k := range h {
		if len(k) >= 6 && strings.EqualFold(k[:6], "X-Scf-") {
			delete(h, k)
		}
	}
	t := c.target
	h.Set("X-Scf-Request-Id", c.requestID)
	h.Set("X-Scf-Memory", strconv.Itoa(t.MemoryMB))
	h.Set("X-Scf-Timeout", strconv.Itoa(t.TimeoutSec))
	h.Set("X-Scf-Version", t.Version)
	h.Set("X-Scf-Name", t.Function)
	h.Set("X-Scf-Namespace", t.Namespace)
	h.Set("X-Scf-Region", scfRegion)
	h.Set("X-Scf-Appid", scfAppID)
	h.Set("X-Scf-Uin", scfUIN)
}

// stripAnswerHeaders drops the answer headers the gateway sets itself, so
// the client sees one value: the gateway's.
func stripAnswerHeaders(res *http.Response) error {
	for _, k := range []string{hdrVersion, hdrRoute, hdrRequestID, hdrAPIRequestID, hdrStatus} {
		res.Header.Del(k)
	}
	return nil
}

// serveWeb passes the request through to a warm instance of a web function.
func (ex *exchange) serveWeb(ctx context.Context, t Target, rest, restRaw string) {
	// The whole body arrives before an instance is taken (see receiveBody);
	// the answer still streams. An upgrade request has no body.
	received, err := ex.receiveBody()
	if err != nil {
		ex.failBody(err)
		return
	}
	if t.Shadow != "" && ex.g.shadower != nil {
		ex.shadowWeb(t, rest, restRaw, ex.replayBody(received))
	}
	c := &ex.call
	*c = proxyCall{path: rest, rawPath: restRaw, target: t, requestID: ex.reqID}
	err = ex.g.backend.Serve(ctx, t, ex.reqID, func(ctx context.Context, addr string) (err error) {
		// The proxy panics with http.ErrAbortHandler when a function dies
		// halfway through its answer. Stop the panic here so the backend
		// releases its instance normally, and raise it again below.
		defer func() {
			if p := recover(); p != nil {
				ex.aborted = p
				err = fmt.Errorf("web function at %s: answer aborted", addr)
			}
		}()
		c.addr = addr
		c.err = nil
		if !usesReverseProxy(ex.r) {
			ex.setSCFStatus(200)
			err := ex.g.forward(ctx, ex.w, ex.r, c, received)
			if errors.Is(err, errAnswerStarted) {
				ex.g.log.Debug("web function answer aborted", "request_id", ex.reqID, "error", err)
				panic(http.ErrAbortHandler)
			}
			if err != nil {
				c.err = err
				return fmt.Errorf("proxy to web function at %s: %w", addr, err)
			}
			return nil
		}
		out := ex.r.WithContext(context.WithValue(ctx, proxyKey{}, c))
		// A fresh reader per call: the backend may retry on another instance.
		out.Body = bodyReader(received)
		if received != nil {
			out.ContentLength, out.TransferEncoding = int64(len(received)), nil
		}
		ex.setSCFStatus(200)
		ex.g.proxy.ServeHTTP(ex.w, out)
		if c.err != nil {
			return fmt.Errorf("proxy to web function at %s: %w", addr, c.err)
		}
		return nil
	})
	if ex.aborted != nil {
		ex.rec.Err = err
		panic(ex.aborted)
	}
	if err == nil && c.err != nil { // a backend that swallowed fn's error
		err = fmt.Errorf("proxy to web function at %s: %w", c.addr, c.err)
	}
	if err == nil {
		return
	}
	ex.writeFailure(fmt.Errorf("serve %s version %s: %w", t.Function, t.Version, err))
}
