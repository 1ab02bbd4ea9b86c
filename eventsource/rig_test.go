package eventsource

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// The bubble's clock starts at 2000-01-01 00:00:00 UTC and moves only when
// every goroutine in it is blocked, so a cron tick fires exactly.
func TestTimerFiresThroughEngine(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		reg := &fakeRegistry{triggers: []registry.Trigger{
			{Function: "f", Name: "tick", Type: registry.TriggerTimer, Qualifier: "live", Cron: "*/5 * * * * * *", Message: "hello", Enabled: true},
			{Function: "f", Name: "off", Type: registry.TriggerTimer, Qualifier: "live", Cron: "* * * * * * *", Enabled: false},
		}}
		eng := newFakeEngine(map[string]fakeAnswer{"f": {payload: `"ok"`}})
		r := New(reg, eng, nil, dir)
		r.Start()
		time.Sleep(11 * time.Second)
		synctest.Wait()
		r.Close()

		got := eng.requests()
		if len(got) != 2 {
			t.Fatalf("invocations = %d, want 2 (ticks at 5 s and 10 s): %+v", len(got), got)
		}
		for i, req := range got {
			if req.Function != "f" || req.Qualifier != "live" || req.Source != registry.TriggerTimer || req.Trigger != "tick" || !req.Running {
				t.Errorf("request %d = %+v", i, req)
			}
			var ev trigger.TimerEvent
			if err := json.Unmarshal(req.Event, &ev); err != nil {
				t.Fatalf("event %q: %v", req.Event, err)
			}
			want := time.Date(2000, 1, 1, 0, 0, 5*(i+1), 0, time.UTC).Format(time.RFC3339)
			if ev.Type != "Timer" || ev.TriggerName != "tick" || ev.Message != "hello" || ev.Time != want {
				t.Errorf("event %d = %+v, want Timer tick hello at %s", i, ev, want)
			}
		}
		if evs := r.Events(); len(evs) != 2 || evs[0].Status != trigger.StatusFinished || evs[0].InvokeType != registry.TriggerTimer {
			t.Errorf("async events = %+v, want 2 finished timer events", evs)
		}
	})
}

func TestDeadLetter(t *testing.T) {
	failure := errors.New("boom")
	t.Run("written to the log and sent to the dead-letter function", func(t *testing.T) {
		dir := t.TempDir()
		synctest.Test(t, func(t *testing.T) {
			eng := newFakeEngine(map[string]fakeAnswer{"bad": {err: failure}, "dlf": {payload: `"ok"`}})
			r := New(&fakeRegistry{}, eng, nil, dir)
			if err := r.SetPolicy("bad", trigger.AsyncPolicy{RetryNum: 0, MsgTTL: time.Minute, DeadLetter: "dlf"}); err != nil {
				t.Fatal(err)
			}
			id, err := r.Submit("bad", "", "Event", "", []byte(`{"n":1}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // the event failed, was dead-lettered, and dlf ran
			r.Close()
			var sent []byte
			for _, req := range eng.requests() {
				if req.Function == "dlf" {
					sent = req.Event
					if req.Source != invokeDeadLetter || req.Trigger != "bad" || req.Qualifier != registry.Default {
						t.Errorf("dead-letter request = %+v", req)
					}
				}
			}
			var got deadLetterEvent
			if err := json.Unmarshal(sent, &got); err != nil {
				t.Fatalf("dead-letter event %q: %v", sent, err)
			}
			if got.Type != "DeadLetter" || got.RequestID != id || got.Function != "bad" || got.InvokeType != "Event" ||
				got.Error != "boom" || string(got.Event) != `{"n":1}` {
				t.Errorf("dead-letter event = %+v", got)
			}
			lines := readLines(t, filepath.Join(dir, DeadLetterFile))
			if len(lines) != 1 || !bytes.Contains(lines[0], []byte(`"deadLetter":"dlf"`)) || !bytes.Contains(lines[0], []byte(`"requestId":"`+id+`"`)) {
				t.Errorf("%s = %q", DeadLetterFile, lines)
			}
			if ev, ok := r.Event(id); !ok || ev.Status != trigger.StatusFailed {
				t.Errorf("event %s = %+v, %v; want FAILED", id, ev, ok)
			}
		})
	})
	t.Run("a failing dead letter is only logged", func(t *testing.T) {
		dir := t.TempDir()
		synctest.Test(t, func(t *testing.T) {
			// bad's dead letters go to worse, whose go back to bad: each
			// failure is logged once, and the chain stops there.
			eng := newFakeEngine(map[string]fakeAnswer{"bad": {err: failure}, "worse": {err: failure}})
			r := New(&fakeRegistry{}, eng, nil, dir)
			for fn, dlf := range map[string]string{"bad": "worse", "worse": "bad"} {
				if err := r.SetPolicy(fn, trigger.AsyncPolicy{MsgTTL: time.Minute, DeadLetter: dlf}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.Submit("bad", "", "Event", "", []byte(`not json`), nil); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			r.Close()
			lines := readLines(t, filepath.Join(dir, DeadLetterFile))
			if len(lines) != 2 {
				t.Fatalf("%s has %d lines, want 2: %q", DeadLetterFile, len(lines), lines)
			}
			if !bytes.Contains(lines[0], []byte(`"event":"not json"`)) {
				t.Errorf("a body that is not JSON is kept as a string: %s", lines[0])
			}
			if n := len(eng.requests()); n != 2 {
				t.Errorf("invocations = %d, want 2 (bad, then worse once)", n)
			}
		})
	})
}

func TestSubmitRefusesUnknownFunction(t *testing.T) {
	eng := newFakeEngine(map[string]fakeAnswer{})
	r := New(&fakeRegistry{}, eng, nil, t.TempDir())
	defer r.Close()
	if _, err := r.Submit("nope", "", "Event", "", []byte(`{}`), nil); !errors.Is(err, registry.ErrFunctionNotFound) {
		t.Errorf("Submit(nope) = %v, want ErrFunctionNotFound", err)
	}
	if n := len(eng.requests()); n != 0 {
		t.Errorf("invocations = %d, want 0", n)
	}
}

func TestPolicyPersisted(t *testing.T) {
	dir := t.TempDir()
	eng := newFakeEngine(nil)
	r := New(&fakeRegistry{}, eng, nil, dir)
	if p := r.Policy("f"); p != trigger.DefaultAsyncPolicy() {
		t.Errorf("policy before any set = %+v, want the default", p)
	}
	want := trigger.AsyncPolicy{RetryNum: 1, MsgTTL: 2 * time.Minute, DeadLetter: "d"}
	if err := r.SetPolicy("f", want); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r = New(&fakeRegistry{}, eng, nil, dir)
	defer r.Close()
	if p := r.Policy("f"); p != want {
		t.Errorf("policy after restart = %+v, want %+v", p, want)
	}
}

func TestFire(t *testing.T) {
	reg := &fakeRegistry{triggers: []registry.Trigger{
		{Function: "f", Name: "tick", Type: registry.TriggerTimer, Qualifier: "$DEFAULT", Cron: "0 0 0 1 1 * *", Message: "m"},
		{Function: "f", Name: "q", Type: registry.TriggerCMQ, Topic: "orders"},
	}}
	eng := newFakeEngine(map[string]fakeAnswer{"f": {payload: `"ok"`}})
	r := New(reg, eng, nil, t.TempDir())
	defer r.Close()
	tests := []struct {
		name, function, trigger string
		wantErr                 error // nil: fired
		wantErrText             bool  // an error without a sentinel
	}{
		{name: "timer fires now", function: "f", trigger: "tick"},
		{name: "message trigger fires from its source", function: "f", trigger: "q", wantErrText: true},
		{name: "unknown trigger", function: "f", trigger: "nope", wantErr: registry.ErrTriggerNotFound},
		{name: "unknown function", function: "g", trigger: "tick", wantErr: registry.ErrFunctionNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := r.Fire(tc.function, tc.trigger)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Fire = %q, %v; want %v", id, err, tc.wantErr)
			case tc.wantErrText && err == nil:
				t.Fatalf("Fire = %q, want an error", id)
			case tc.wantErr == nil && !tc.wantErrText:
				if err != nil {
					t.Fatal(err)
				}
				req := <-eng.calls
				if req.RequestID != id || req.Trigger != "tick" || req.Source != registry.TriggerTimer {
					t.Errorf("request = %+v, want id %s of trigger tick", req, id)
				}
			}
		})
	}
}

// A CMQ trigger delivers published messages as one synchronous call.
func TestSendDeliversToSubscribedTrigger(t *testing.T) {
	reg := &fakeRegistry{triggers: []registry.Trigger{
		{Function: "f", Name: "q", Type: registry.TriggerCMQ, Qualifier: "$DEFAULT", Topic: "orders", Batch: 1, Enabled: true},
	}}
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		eng := newFakeEngine(map[string]fakeAnswer{"f": {payload: `"ok"`}})
		r := New(reg, eng, nil, dir)
		r.Start()
		synctest.Wait() // the sync loop has subscribed the trigger
		if _, err := r.Send(registry.TriggerCMQ, "orders", []trigger.Message{{Body: "m1"}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		synctest.Wait()
		r.Close()
		got := eng.requests()
		if len(got) != 1 {
			t.Fatalf("invocations = %d, want 1", len(got))
		}
		if req := got[0]; req.Function != "f" || req.Source != registry.TriggerCMQ || req.Trigger != "q" || !bytes.Contains(req.Event, []byte("m1")) {
			t.Errorf("request = %+v event %s", req, req.Event)
		}
		if _, err := r.Send(registry.TriggerCMQ, "nobody", []trigger.Message{{Body: "m"}}); !errors.Is(err, trigger.ErrNoSubscriber) {
			t.Errorf("Send to a topic without triggers = %v, want ErrNoSubscriber", err)
		}
	})
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}
