package instance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// maxImageResponse bounds the body read back from an image function.
const maxImageResponse = 16 << 20

// imageEventInstance is an event image function: a server in the image
// takes each event as POST /event-invoke on port 9000 with the request id
// in X-Scf-Request-Id, and its response body is the result
// (scf-behaviour.md "Runtime environment details").
type imageEventInstance struct {
	*webInstance
	client *http.Client
}

// AwaitImageEvent waits, as AwaitWeb does, until the server of an event
// image function accepts connections, and returns the instance that sends
// it events.
func AwaitImageEvent(ctx context.Context, spec runtime.Spec, r Runner, addr, probeAddr, where string, timeout time.Duration, logger *slog.Logger) (runtime.Instance, error) {
	in, err := AwaitWeb(ctx, spec, r, addr, probeAddr, where, timeout, logger)
	if err != nil {
		return nil, err
	}
	// No pooling across instances: each has its own server.
	return &imageEventInstance{webInstance: in.(*webInstance), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}}, nil
}

// Addr is "": events go through Invoke.
func (in *imageEventInstance) Addr() string { return "" }

// Invoke posts the event to /event-invoke. A non-2xx answer is the
// function's error (430) with the body as its message; a body that is not
// JSON is returned as a JSON string.
func (in *imageEventInstance) Invoke(ctx context.Context, inv runtime.Invocation) (runtime.Result, error) {
	r := in.run
	if IsDone(r) {
		return runtime.Result{}, exitedDuringInvoke(r)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+in.addr+"/event-invoke", bytes.NewReader(inv.Event))
	if err != nil {
		return runtime.Result{}, scferr.New(scferr.ErrInternal, "build the event-invoke request", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Scf-Request-Id", inv.RequestID)
	out := r.Output()
	out.startCapture(inv.RequestID)
	start := time.Now()
	var res runtime.Result
	resp, err := in.client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxImageResponse))
		resp.Body.Close()
	}
	res.Duration = time.Since(start)
	if err != nil {
		res.Log = out.takeCapture()
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		t := time.NewTimer(3 * time.Second) // a container reports its exit late
		defer t.Stop()
		select {
		case <-r.Done():
			return res, exitedDuringInvoke(r)
		case <-t.C:
			return res, scferr.New(scferr.ErrProcessExit, "user process exit when running (connection to the image function lost)", err)
		}
	}
	res.MemUsage = r.MemUsage()
	r.FlushOutput(inv.RequestID)
	res.Log = out.takeCapture()
	if resp.StatusCode/100 != 2 {
		return res, scferr.UserError("EventInvokeError", fmt.Sprintf("POST /event-invoke answered %s: %s", resp.Status, bytes.TrimSpace(body)), "")
	}
	if !json.Valid(body) {
		body, _ = json.Marshal(string(body)) // cannot fail: a string
	}
	res.Payload = body
	return res, nil
}
