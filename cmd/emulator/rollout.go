package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/scferr"
)

// rolloutChanges passes on the updates that change what a person sees
// (a step, a check, the end), not the bookkeeping in between.
func rolloutChanges(fn func(rollout.Status)) func(rollout.Status) {
	var (
		mu   sync.Mutex            // guards last
		last = map[string]string{} // rollout ID -> the line last passed on
	)
	return func(st rollout.Status) {
		line := rolloutLine(st, time.Time{})
		mu.Lock()
		same := last[st.ID] == line
		if st.State.Terminal() {
			delete(last, st.ID)
		} else {
			last[st.ID] = line
		}
		mu.Unlock()
		if !same {
			fn(st)
		}
	}
}

// hookInvoker runs rollout hooks through the engine, recorded like any
// other invocation, so a hook's logs and metrics are where a person looks.
type hookInvoker struct{ eng *engine.Engine }

func (h hookInvoker) InvokeHook(ctx context.Context, function, qualifier string, event []byte) error {
	o, err := h.eng.Invoke(ctx, engine.Request{Function: function, Qualifier: qualifier, Event: event})
	if err != nil {
		return err
	}
	if o.Err != nil {
		return fmt.Errorf("version %s answered status %d (request %s): %w", o.Target.Version, scferr.Status(o.Err), o.RequestID, o.Err)
	}
	return nil
}
