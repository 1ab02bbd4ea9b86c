package eventsource

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// invokeDeadLetter is the invoke type of an event sent to a dead-letter
// function. Such an event that fails in turn goes to the local log only,
// so that two functions naming each other cannot pass a failure around
// forever.
const invokeDeadLetter = "deadletter"

// deadLetterEvent is what a dead-letter function receives: the failed
// event and why it failed, as the platform's dead-letter message carries
// the original event with its error.
type deadLetterEvent struct {
	Type       string          `json:"Type"` // "DeadLetter"
	RequestID  string          `json:"requestId"`
	Function   string          `json:"function"`
	Qualifier  string          `json:"qualifier"`
	InvokeType string          `json:"invokeType"`
	Trigger    string          `json:"trigger,omitempty"`
	Retries    int             `json:"retries"`
	Error      string          `json:"error"`
	Time       string          `json:"time"`
	Event      json.RawMessage `json:"event"`
}

// deadLetter takes an event whose attempts all failed: it is appended to
// the state dir's dead-letter log and, when the function's policy names a
// dead-letter function, sent to that function ($DEFAULT) as an async event.
func (r *Rig) deadLetter(pol trigger.AsyncPolicy, ev trigger.AsyncEvent, body []byte) {
	if !json.Valid(body) {
		b, _ := json.Marshal(string(body))
		body = b
	}
	dl := deadLetterEvent{Type: "DeadLetter", RequestID: ev.RequestID, Function: ev.Function, Qualifier: ev.Qualifier,
		InvokeType: ev.InvokeType, Trigger: ev.Trigger, Retries: ev.Retries, Error: ev.Err,
		Time: ev.EndTime.UTC().Format(time.RFC3339Nano), Event: body}
	line, _ := json.Marshal(struct {
		deadLetterEvent
		Target string `json:"deadLetter,omitempty"`
	}{dl, pol.DeadLetter})
	r.mu.Lock()
	f, err := os.OpenFile(filepath.Join(r.stateDir, DeadLetterFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		err = errors.Join(err, f.Close())
	}
	r.mu.Unlock()
	r.log.Warn("async event failed after retries; dead-lettered", "function", ev.Function, "request_id", ev.RequestID,
		"file", DeadLetterFile, "dead_letter_function", pol.DeadLetter, "err", err)
	if pol.DeadLetter == "" || ev.InvokeType == invokeDeadLetter || r.ctx.Err() != nil {
		return
	}
	if _, err := r.Submit(pol.DeadLetter, registry.Default, invokeDeadLetter, ev.Function, dl, nil); err != nil {
		r.log.Error("dead-letter function not invoked", "function", ev.Function, "dead_letter_function", pol.DeadLetter, "err", err)
	}
}
