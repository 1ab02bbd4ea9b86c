package gateway

import (
	"strings"
	"time"

	"github.com/scf-emulator/emulator/diff"
)

// Recorder keeps the requests the gateway routes to functions, for
// `emulator logs --requests`, the access log and replay. Record is called
// on the request's path, once its body has arrived (before the function
// runs), so it must be quick and must not block. req.Header is the
// client's own map, handed over: the recorder must not change it, and the
// gateway does not either. body is the received body (req.Body is empty):
// the recorder copies what it keeps of it.
type Recorder interface {
	Record(at time.Time, function, qualifier string, req diff.Request, body []byte)
}

// record hands the routed request, with its received body, to the
// recorder: the path without the stage, as `emulator replay` sends it.
func (ex *exchange) record(body []byte) {
	rc := ex.g.recorder
	if rc == nil {
		return
	}
	r := ex.r
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/"+ex.rec.Stage)
	if path == "" {
		path = "/"
	}
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	rc.Record(ex.rec.Time, ex.rec.Function, ex.rec.Qualifier, diff.Request{
		Method: r.Method, Path: path, Header: r.Header, Host: r.Host, Stage: ex.rec.Stage,
	}, body)
}
