package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/scferr"
)

// Comparer is implemented by a Backend that compares shadow copies'
// answers with the primary's (a Target with ShadowDiff). For such a request
// the gateway keeps the primary's answer as the client got it (the first
// diff.DefaultBodyBytes of the body; the client's stream is untouched), the
// copy's answer, and, when WantRerun says so, a second answer of the
// primary, and hands them to Compare on the copy's goroutine: comparing
// never delays the client.
type Comparer interface {
	// WantRerun says whether this copy is a noise sample too: the request
	// also goes to the primary version a second time.
	WantRerun(t Target, endpoint string) bool
	// Compare receives one copied request with its answers.
	Compare(s diff.Sample)
}

// diffWait bounds how long a copy waits for the primary's answer beyond
// the function's timeout, so a stuck primary does not hold a copy slot.
const diffWait = 30 * time.Second

// diffCall pairs a copied request with the primary's answer.
type diffCall struct {
	sample  diff.Sample
	rerun   bool
	tee     *captureWriter   // the primary's answer as the client gets it
	primary chan diff.Answer // filled once, when the exchange finishes
	wait    time.Duration
}

// startDiff prepares a diff-mode copy of the request routed to t, when t
// asks for one and the backend compares: from here on the client's answer
// is also captured. endpoint is the API's path template.
func (ex *exchange) startDiff(t Target, endpoint string) {
	cmp := ex.g.comparer
	if !t.ShadowDiff || t.Shadow == "" || cmp == nil || ex.g.shadower == nil {
		return
	}
	ep := ex.r.Method + " " + endpoint
	dc := &diffCall{
		sample: diff.Sample{Time: time.Now(), Function: t.Function, Alias: t.Qualifier, Primary: t.Version,
			Candidate: t.Shadow, Endpoint: ep,
			Request: diff.Request{Method: ex.r.Method, Path: ex.r.URL.RequestURI(), Header: ex.r.Header.Clone()}},
		rerun:   cmp.WantRerun(t, ep),
		tee:     &captureWriter{ResponseWriter: ex.w.ResponseWriter, limit: diff.DefaultBodyBytes},
		primary: make(chan diff.Answer, 1),
		wait:    time.Duration(t.TimeoutSec)*time.Second + diffWait,
	}
	ex.w.ResponseWriter = dc.tee
	ex.diff = dc
}

// endDiff hands the primary's answer to the waiting copy. It never blocks.
func (ex *exchange) endDiff() {
	dc := ex.diff
	if dc == nil {
		return
	}
	a := dc.tee.answer()
	if a.Status == 0 {
		a.Status = ex.w.status
	}
	dc.primary <- a // buffered for this one answer
}

// finish waits for the primary's answer and hands the sample to the
// comparer; without the primary's answer there is nothing to compare.
func (dc *diffCall) finish(ctx context.Context, cmp Comparer, candidate diff.Answer, rerun *diff.Answer) {
	timer := time.NewTimer(dc.wait)
	defer timer.Stop()
	select {
	case a := <-dc.primary:
		s := dc.sample
		s.PrimaryAnswer, s.CandidateAnswer, s.Rerun = a, candidate, rerun
		cmp.Compare(s)
	case <-timer.C:
	case <-ctx.Done():
	}
}

// rerunTarget is the Target of a noise sample: the primary version again,
// run and counted as a copy.
func rerunTarget(t Target) Target {
	rt := shadowTarget(t)
	rt.Version = t.Version
	return rt
}

// eventAnswer is the answer the gateway would give for an event function's
// return value out (or failure err), as the primary's is built. Failures
// name primaryID, so that the same failure in both versions reads the same.
func eventAnswer(out []byte, err error, primaryID string) diff.Answer {
	w := &captureWriter{limit: diff.DefaultBodyBytes}
	switch {
	case err != nil:
		e := classify(fmt.Errorf("invoke: %w", err))
		writeJSON(w, httpStatus(e.Status), scferr.Body(e, primaryID))
	default:
		resp, perr := parseIntegration(out)
		if perr != nil {
			writeJSON(w, http.StatusForbidden, invalidResponseBody)
			break
		}
		resp.write(w)
	}
	return w.answer()
}

// captureWriter keeps the status, headers and the first limit bytes of an
// answer, and passes everything on unchanged to ResponseWriter when there
// is one (the primary's) or nowhere (a copy's).
type captureWriter struct {
	http.ResponseWriter
	header    http.Header // a copy's headers; the primary's are the client's
	status    int
	sent      http.Header // the headers when the answer started
	body      []byte
	limit     int
	truncated bool
}

func (w *captureWriter) Header() http.Header {
	if w.ResponseWriter != nil {
		return w.ResponseWriter.Header()
	}
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status, w.sent = code, w.Header().Clone()
	}
	if w.ResponseWriter != nil {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	room := max(w.limit-len(w.body), 0)
	if len(b) > room {
		w.truncated = true
	}
	w.body = append(w.body, b[:min(room, len(b))]...)
	if w.ResponseWriter != nil {
		return w.ResponseWriter.Write(b)
	}
	return len(b), nil
}

// Unwrap lets http.ResponseController reach the client's writer, for
// flushing streamed answers.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *captureWriter) answer() diff.Answer {
	return diff.Answer{Status: w.status, Header: w.sent, Body: string(w.body), Truncated: w.truncated}
}
