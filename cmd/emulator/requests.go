package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/reqlog"
)

// The App's request recorder: the gateway hands every routed request to a
// reqlog.Recorder, which keeps the last --record-requests of each
// function for GET /emulator/requests (`emulator logs --requests`) and
// writes them all to --access-log; both are lines `emulator replay`
// reads.

// requestLog is the recorder and its access log; the zero value records
// nothing.
type requestLog struct {
	rec    *reqlog.Recorder
	access *reqlog.AccessLog
}

// openRequests starts recording when the config asks for it.
func (a *App) openRequests() error {
	if a.cfg.RecordRequests < 0 {
		return fmt.Errorf("--record-requests %d: want 0 or more requests per function", a.cfg.RecordRequests)
	}
	if a.cfg.RecordRequests == 0 && a.cfg.AccessLog == "" {
		return nil
	}
	a.requests.rec = reqlog.New(a.cfg.RecordRequests, diff.NewRedactor(a.cfg.DiffRedact...))
	if a.cfg.AccessLog == "" {
		return nil
	}
	var err error
	a.requests.access, err = reqlog.OpenAccessLog(a.cfg.AccessLog, a.requests.rec, a.cfg.Logger.With("component", "access-log"))
	return err
}

func (l requestLog) close() error {
	if l.access == nil {
		return nil
	}
	return l.access.Close()
}

// gatewayRecorder is the gateway's Recorder: nil (a nil interface, which
// costs the gateway nothing) when nothing is recorded.
func (l requestLog) gatewayRecorder() gateway.Recorder {
	if l.rec == nil {
		return nil
	}
	return l.rec
}

// admin is the admin server's Requests, nil when nothing is recorded.
func (l requestLog) admin() admin.Requests {
	if l.rec == nil {
		return nil
	}
	return l.rec
}

// logRequests is `emulator logs B --requests`: every kept request of B by
// default, or the last n.
func logRequests(ctx context.Context, endpoint, fn, qualifier string, since time.Duration, n int, nGiven, follow bool, out io.Writer) error {
	if qualifier != "" {
		return usageError{fmt.Errorf("-q is for invocation logs; recorded requests are per function")}
	}
	if since < 0 {
		return usageError{fmt.Errorf("--since %v: want a positive duration such as 10m", since)}
	}
	q := url.Values{"function": {fn}}
	if since > 0 {
		q.Set("since", since.String())
	}
	if nGiven && n > 0 {
		q.Set("limit", strconv.Itoa(n))
	}
	if follow {
		q.Set("follow", "1")
	}
	c, err := newEmuClient(endpoint)
	if err != nil {
		return err
	}
	return printRequests(ctx, c, q, out)
}

// printRequests copies a function's recorded requests, JSON lines as the
// admin endpoint sends them, to out: `emulator logs B --requests`.
func printRequests(ctx context.Context, c *emuClient, q url.Values, out io.Writer) error {
	resp, err := c.do(ctx, http.MethodGet, "/emulator/requests", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), maxReplayLine)
	for sc.Scan() {
		fmt.Fprintf(out, "%s\n", sc.Bytes())
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return err
	}
	return nil
}
