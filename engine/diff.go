package engine

import (
	"context"
	"time"

	"github.com/scf-emulator/emulator/diff"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// Comparer keeps the compared answers of shadow copies of an alias in
// diff mode (Decision.ShadowDiff); *diff.Store is one. The gateway
// compares its own copies; the engine compares those of the calls that
// come through Invoke: the cloud API, triggers, rollout hooks.
type Comparer interface {
	// WantRerun says whether this copy is a noise sample too: the event
	// also goes to the primary version a second time.
	WantRerun(function, primary, endpoint string) bool
	Add(s diff.Sample)
}

// invokeEndpoint is the endpoint a compared Invoke is grouped under: an
// event has no method or path.
const invokeEndpoint = "Invoke"

// diffWait bounds how long a copy waits for the primary's answer beyond
// the function's timeout, so a stuck primary does not hold a copy slot.
const diffWait = 30 * time.Second

// invokeAnswer is an invocation's outcome as an answer to compare: the
// return value with status 200, or the failure's SCF status and its
// class's message (the cause names request ids and instances, which
// differ every run).
func invokeAnswer(res runtime.Result, err error) diff.Answer {
	if err != nil {
		e := scferr.As(err)
		return diff.Answer{Status: e.Status, Body: e.Message}
	}
	body := res.Payload
	if len(body) > diff.DefaultBodyBytes {
		return diff.Answer{Status: 200, Body: string(body[:diff.DefaultBodyBytes]), Truncated: true}
	}
	return diff.Answer{Status: 200, Body: string(body)}
}

// diffCopy is a copy in diff mode waiting for the primary's answer.
type diffCopy struct {
	sample  diff.Sample
	rerun   bool
	primary chan diff.Answer // filled once, when the primary has answered
	wait    time.Duration
}

// startDiff prepares the comparison of t's shadow copy, nil when t's alias
// is not in diff mode or nothing keeps comparisons.
func (e *Engine) startDiff(t Target, event []byte) *diffCopy {
	if !t.ShadowDiff || e.cmp == nil {
		return nil
	}
	return &diffCopy{
		sample: diff.Sample{Time: time.Now(), Function: t.Function, Alias: t.Qualifier, Primary: t.Version, Candidate: t.Shadow,
			Endpoint: invokeEndpoint, Request: diff.Request{Method: invokeEndpoint, Path: t.Function + ":" + t.Qualifier, Body: string(event)}},
		rerun:   e.cmp.WantRerun(t.Function, t.Version, invokeEndpoint),
		primary: make(chan diff.Answer, 1),
		wait:    time.Duration(t.Config.Timeout)*time.Second + diffWait,
	}
}

// done hands the primary's answer to the copy. It never blocks.
func (dc *diffCopy) done(res runtime.Result, err error) {
	if dc != nil {
		dc.primary <- invokeAnswer(res, err) // buffered for this one answer
	}
}

// finish waits for the primary's answer and keeps the comparison.
func (dc *diffCopy) finish(ctx context.Context, cmp Comparer, candidate diff.Answer, rerun *diff.Answer) {
	timer := time.NewTimer(dc.wait)
	defer timer.Stop()
	select {
	case a := <-dc.primary:
		s := dc.sample
		s.PrimaryAnswer, s.CandidateAnswer, s.Rerun = a, candidate, rerun
		cmp.Add(s)
	case <-timer.C:
	case <-ctx.Done():
	}
}
